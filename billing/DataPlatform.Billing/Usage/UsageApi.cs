using System.Globalization;
using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DataPlatform.Billing.Usage;

/// <summary>
/// Usage from the ledger: the caller's at <c>/api/v1/account/usage</c>, any account's and the harvest and
/// reconciliation tools under <c>/api/v1/admin/usage</c>.
/// </summary>
public static class UsageApi
{
    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/account/usage", GetOwnUsageAsync).WithTags("Account usage").AddEndpointFilter(BillingProblems.RequireCaller)
            .WithName("GetOwnUsage")
            .WithSummary("The caller's requests and bytes by hour, day (Asia/Ho_Chi_Minh), product or status class; the current month by default.");

        var admin = app.MapGroup("/api/v1/admin").WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin);
        admin.MapGet("/accounts/{accountId}/usage", GetAccountUsageAsync).WithName("GetAccountUsage").WithSummary("An account's usage.");
        admin.MapPost("/usage/harvest", HarvestAsync).WithName("HarvestUsage")
            .WithSummary("Reads the gateway's counters of the given hours into the ledger now (idempotent).");
        admin.MapGet("/usage/reconciliation", ReconcileAsync).WithName("ReconcileUsage")
            .WithSummary("Compares the ledger with the gateway's counters hour by hour; every difference is listed.");
        return app;
    }

    static Task<Results<Ok<UsageReport>, ProblemHttpResult>> GetOwnUsageAsync(
        string? from, string? to, string? groupBy, HttpContext context, UsageLedger ledger, TimeProvider time, CancellationToken cancellationToken) =>
        ReportAsync(context.GetConsumer().AccountId!, from, to, groupBy, ledger, time, cancellationToken);

    static Task<Results<Ok<UsageReport>, ProblemHttpResult>> GetAccountUsageAsync(
        string accountId, string? from, string? to, string? groupBy, UsageLedger ledger, TimeProvider time, CancellationToken cancellationToken) =>
        ReportAsync(accountId, from, to, groupBy, ledger, time, cancellationToken);

    static async Task<Results<Ok<UsageReport>, ProblemHttpResult>> ReportAsync(
        string accountId, string? from, string? to, string? groupBy, UsageLedger ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<UsageGrouping>(groupBy ?? "day", ignoreCase: true, out var grouping) || int.TryParse(groupBy, out _))
        {
            return BillingProblems.Invalid("'groupBy' must be hour, day, product or status.");
        }

        var period = BillingPeriod.Containing(time.GetUtcNow());
        if (!TryMoment(from, period.Start, out var start) || !TryMoment(to, period.End, out var end) || end <= start)
        {
            return BillingProblems.Invalid("'from' and 'to' must be ISO 8601 dates or times (a date is midnight in Hà Nội), with 'from' before 'to'.");
        }

        if (end - start > TimeSpan.FromDays(400))
        {
            return BillingProblems.Invalid("A usage report covers at most 400 days.");
        }

        var buckets = await ledger.SummaryAsync(accountId, start, end, grouping, cancellationToken);
        return TypedResults.Ok(new UsageReport(accountId, start, end, grouping.ToString().ToLowerInvariant(),
            buckets.Sum(b => b.Requests), buckets.Sum(b => b.Bytes), buckets));
    }

    static async Task<Results<Ok<HarvestResult>, ProblemHttpResult>> HarvestAsync(
        string? from, string? to, UsageLedger ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!TryMoment(from, now.AddHours(-48), out var start) || !TryMoment(to, now, out var end) || end < start || end - start > TimeSpan.FromDays(62))
        {
            return BillingProblems.Invalid("'from' and 'to' must be ISO 8601 times at most 62 days apart, 'from' first.");
        }

        return TypedResults.Ok(await ledger.HarvestAsync(start, end, cancellationToken));
    }

    static async Task<Results<Ok<Reconciliation>, ProblemHttpResult>> ReconcileAsync(
        string? from, string? to, string? accountId, UsageLedger ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!TryMoment(from, now.AddHours(-48), out var start) || !TryMoment(to, now, out var end) || end < start || end - start > TimeSpan.FromDays(62))
        {
            return BillingProblems.Invalid("'from' and 'to' must be ISO 8601 times at most 62 days apart, 'from' first.");
        }

        var differences = new List<UsageDifference>();
        long counted = 0, ledgered = 0;
        var checkedCounters = 0;
        foreach (var hour in UsageLedger.Hours(start, end))
        {
            var counters = await ledger.ReadCountersAsync(hour, accountId, cancellationToken);
            var rows = (await ledger.RowsAsync(accountId, hour, hour.AddHours(1), cancellationToken))
                .ToDictionary(r => (r.AccountId, r.ProductId, r.StatusClass, r.Measure), r => r.Value);
            foreach (var counter in counters)
            {
                checkedCounters++;
                var stored = rows.GetValueOrDefault((counter.AccountId, counter.ProductId, counter.StatusClass, counter.Measure));
                counted += counter.Value;
                ledgered += stored;
                if (stored != counter.Value)
                {
                    differences.Add(new UsageDifference(counter.AccountId, hour, counter.ProductId, counter.StatusClass, counter.Measure,
                        counter.Value, stored, counter.Value - stored));
                }
            }
        }

        return TypedResults.Ok(new Reconciliation(start, end, checkedCounters, counted, ledgered, differences.Count, differences));
    }

    /// <summary>An absent value means the default; a bare date is midnight in Vietnam.</summary>
    static bool TryMoment(string? text, DateTimeOffset fallback, out DateTimeOffset moment)
    {
        moment = fallback;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var local = date.ToDateTime(TimeOnly.MinValue);
            moment = new DateTimeOffset(local, BillingPeriod.TimeZone.GetUtcOffset(local));
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out moment);
    }

    internal sealed record UsageReport(
        string AccountId, DateTimeOffset From, DateTimeOffset To, string GroupBy, long Requests, long Bytes, IReadOnlyList<UsageBucket> Buckets);

    internal sealed record UsageDifference(
        string AccountId, DateTimeOffset Hour, string ProductId, string StatusClass, string Measure, long Counter, long Ledger, long Difference);

    internal sealed record Reconciliation(
        DateTimeOffset From, DateTimeOffset To, int CountersChecked, long CounterTotal, long LedgerTotal, int DifferenceCount,
        IReadOnlyList<UsageDifference> Differences);
}
