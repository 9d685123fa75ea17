using System.Globalization;
using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Stripe;

namespace DataPlatform.Billing.Stripe;

/// <summary>Admin tools for the Stripe sync: run it now, and reconcile what Stripe counted with the ledger.</summary>
public static class StripeApi
{
    public static IEndpointRouteBuilder MapStripeApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin/stripe").WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin);
        admin.MapPost("/sync", SyncAsync).WithName("StripeSync")
            .WithSummary("Brings Stripe's products, prices and subscriptions in line and sends closed hours' usage now (idempotent).");
        admin.MapGet("/reconciliation", ReconcileAsync).WithName("StripeReconciliation")
            .WithSummary("Compares Stripe's meter event summaries with the meter events billing sent, per account and metric.");
        return app;
    }

    static async Task<Results<Ok<StripeSyncResult>, ProblemHttpResult>> SyncAsync(
        string? from, string? to, IServiceProvider services, IOptions<StripeOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (services.GetService<StripeSync>() is not { } sync)
        {
            return BillingProblems.Conflict("Stripe is not configured (Stripe:ApiKey); the platform issues invoices itself.");
        }

        var now = time.GetUtcNow();
        if (!TryTime(from, now.AddDays(-options.Value.LookbackDays), out var start) || !TryTime(to, now, out var end) || end < start)
        {
            return BillingProblems.Invalid("'from' and 'to' must be ISO 8601 times, 'from' first.");
        }

        try
        {
            var billing = await services.GetRequiredService<StripeBillingSync>().SyncAllAsync(cancellationToken);
            var sent = await sync.SyncAsync(start, end, cancellationToken);
            return TypedResults.Ok(sent with { Catalog = billing });
        }
        catch (Exception exception) when (exception is StripeException or HttpRequestException)
        {
            // Everything sent carries a deterministic identifier or idempotency key, so running the sync again is safe.
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Stripe did not answer",
                detail: $"The sync stopped at a Stripe error ({exception.Message}). Run it again: nothing it sent is counted or created twice.",
                type: "/problems/stripe-unavailable");
        }
    }

    static async Task<Results<Ok<StripeReconciliation>, ProblemHttpResult>> ReconcileAsync(
        string? from, string? to, IServiceProvider services, AccountStore accounts, BillingDb db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (services.GetService<StripeSync>() is not { } sync)
        {
            return BillingProblems.Conflict("Stripe is not configured (Stripe:ApiKey).");
        }

        var now = time.GetUtcNow();
        if (!TryTime(from, now.AddDays(-3), out var start) || !TryTime(to, now, out var end) || end <= start)
        {
            return BillingProblems.Invalid("'from' and 'to' must be ISO 8601 times, 'from' first.");
        }

        var meters = await sync.EnsureMetersAsync(cancellationToken);
        var lines = new List<StripeReconciliationLine>();
        foreach (var account in await accounts.ListAsync(null, cancellationToken))
        {
            if (account.StripeCustomerId is null)
            {
                continue;
            }

            foreach (var metric in sync.Metrics)
            {
                var sent = await db.SingleAsync<long?>("""
                    SELECT CAST(SUM(value) AS BIGINT) FROM stripe_meter_events
                    WHERE account_id = @accountId AND metric = @metric AND hour >= @from AND hour < @to
                    """, new { accountId = account.Id, metric = metric.Name, from = UnixTime.Of(start), to = UnixTime.Of(end) }, cancellationToken) ?? 0;
                var counted = await sync.StripeTotalAsync(meters[metric.Name], account.StripeCustomerId, start, end, cancellationToken);
                lines.Add(new StripeReconciliationLine(account.Id, metric.Name, sent, counted, counted - sent));
            }
        }

        return TypedResults.Ok(new StripeReconciliation(start, end, lines.Count(l => l.Difference != 0), lines));
    }

    static bool TryTime(string? text, DateTimeOffset fallback, out DateTimeOffset moment)
    {
        moment = fallback;
        return string.IsNullOrWhiteSpace(text) || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out moment);
    }

    internal sealed record StripeReconciliationLine(string AccountId, string Metric, long Sent, decimal StripeCounted, decimal Difference);

    internal sealed record StripeReconciliation(DateTimeOffset From, DateTimeOffset To, int DifferenceCount, IReadOnlyList<StripeReconciliationLine> Lines);
}
