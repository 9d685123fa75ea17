using System.Text.Json;
using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.ApiKeys;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Stripe;
using Account = DataPlatform.Billing.Accounts.Account;

namespace DataPlatform.Billing.Stripe;

/// <summary>
/// Stripe's webhook at <c>/billing/stripe/webhook</c>. The signature is checked with a 300-second tolerance; each
/// event id is handled once; payment events change the account's status, and with it every key descriptor, so
/// the gateway answers 402 to a suspended account's keys within moments.
/// </summary>
public static partial class StripeWebhookApi
{
    public static IEndpointRouteBuilder MapStripeWebhookApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/billing/stripe/webhook", ReceiveAsync).WithTags("Stripe")
            .WithName("StripeWebhook").WithSummary("Receives Stripe events: invoice.paid, invoice.payment_failed, customer.subscription.updated and .deleted.");
        return app;
    }

    static async Task<Results<Ok<WebhookResult>, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, WebhookHandler handler, IOptions<StripeOptions> options, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Value.WebhookSecret))
        {
            return BillingProblems.NotFound("Stripe webhooks are not configured on this platform (Stripe:WebhookSecret).");
        }

        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8);
        var json = await reader.ReadToEndAsync(cancellationToken);
        try
        {
            // The signature alone is checked here; the event is read below from its JSON, so that an event written
            // for another API version is still understood instead of refused by the SDK's version check.
            EventUtility.ValidateSignature(json, request.Headers["Stripe-Signature"].ToString(), options.Value.WebhookSecret, options.Value.WebhookTolerance);
        }
        catch (StripeException exception)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid Stripe signature",
                detail: exception.Message, type: BillingProblems.InvalidSignatureType);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return BillingProblems.Invalid("The event is not JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("id", out var id) || !root.TryGetProperty("type", out var type))
            {
                return BillingProblems.Invalid("The event has no 'id' or 'type'.");
            }

            return TypedResults.Ok(await handler.HandleAsync(id.GetString()!, type.GetString()!, root, cancellationToken));
        }
    }
}

/// <summary>What billing did with a webhook event.</summary>
sealed record WebhookResult(string EventId, string Type, bool Duplicate, bool Handled, string? AccountId);

sealed partial class WebhookHandler(
    BillingDb db, AccountStore accounts, SubscriptionStore subscriptions, DescriptorPublisher publisher, TimeProvider time,
    ILogger<WebhookHandler> logger)
{
    public async Task<WebhookResult> HandleAsync(string eventId, string type, JsonElement root, CancellationToken cancellationToken)
    {
        var apiVersion = root.TryGetProperty("api_version", out var version) ? version.GetString() : null;
        if (apiVersion is not null && apiVersion != StripeConfiguration.ApiVersion)
        {
            LogOtherApiVersion(logger, eventId, apiVersion, StripeConfiguration.ApiVersion);
        }

        var inserted = await db.ExecuteAsync("INSERT INTO stripe_events (id, type, received_at) VALUES (@eventId, @type, @now) ON CONFLICT (id) DO NOTHING",
            new { eventId, type, now = UnixTime.Of(time.GetUtcNow()) }, cancellationToken);
        if (inserted == 0)
        {
            return new WebhookResult(eventId, type, Duplicate: true, Handled: false, null);
        }

        try
        {
            var (handled, accountId) = await ApplyAsync(type, root, cancellationToken);
            return new WebhookResult(eventId, type, Duplicate: false, handled, accountId);
        }
        catch
        {
            // Forget the event, so that Stripe's retry of it is handled rather than taken for a duplicate.
            await db.ExecuteAsync("DELETE FROM stripe_events WHERE id = @eventId", new { eventId }, CancellationToken.None);
            throw;
        }
    }

    async Task<(bool Handled, string? AccountId)> ApplyAsync(string type, JsonElement root, CancellationToken cancellationToken)
    {
        // Only long-stable fields are read (data.object.customer, .status, .number), which every API version has.
        if (!root.TryGetProperty("data", out var data) || !data.TryGetProperty("object", out var subject)
            || !subject.TryGetProperty("customer", out var customerElement) || customerElement.ValueKind != JsonValueKind.String)
        {
            return (false, null);
        }

        var account = await accounts.FindByStripeCustomerAsync(customerElement.GetString()!, cancellationToken);
        if (account is null)
        {
            LogUnknownCustomer(logger, type);
            return (false, null);
        }

        var number = subject.TryGetProperty("number", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        var status = subject.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        switch (type)
        {
            case "invoice.paid":
                await ReactivateAsync(account, cancellationToken);
                break;
            case "invoice.payment_failed":
                await SuspendAsync(account,
                    $"Thanh toán hoá đơn {number} không thành công; tài khoản tạm ngừng. Payment of invoice {number} failed: update the payment method in Stripe to restore access.",
                    cancellationToken);
                break;
            case "customer.subscription.updated" when status is "past_due" or "unpaid":
                await SuspendAsync(account,
                    $"Gói thuê bao quá hạn thanh toán ({status}). The subscription is {status}: pay the open invoice to restore access.", cancellationToken);
                break;
            case "customer.subscription.updated" when status is "active" or "trialing":
                await ReactivateAsync(account, cancellationToken);
                break;
            case "customer.subscription.deleted":
                // The Subscription is gone at Stripe; the next change makes a new one.
                await db.ExecuteAsync("UPDATE accounts SET stripe_subscription_id = NULL WHERE id = @Id", account, cancellationToken);
                await subscriptions.ChangePlanAsync(account.Id, Plans.PlanStore.DefaultPlanId, cancellationToken);
                await publisher.PublishAccountAsync(account.Id, cancellationToken);
                break;
            default:
                return (false, account.Id);
        }

        LogApplied(logger, type, account.Id);
        return (true, account.Id);
    }

    async Task SuspendAsync(Account account, string reason, CancellationToken cancellationToken)
    {
        if (account.Status == AccountStatuses.Closed)
        {
            return;
        }

        await accounts.SetStatusAsync(account.Id, AccountStatuses.Suspended, reason, cancellationToken);
        await publisher.PublishAccountAsync(account.Id, cancellationToken);
    }

    async Task ReactivateAsync(Account account, CancellationToken cancellationToken)
    {
        if (account.Status != AccountStatuses.Suspended)
        {
            return;
        }

        await accounts.SetStatusAsync(account.Id, AccountStatuses.Active, null, cancellationToken);
        await publisher.PublishAccountAsync(account.Id, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} was written for API version {EventVersion}, not {SdkVersion}; only stable fields are read from it")]
    static partial void LogOtherApiVersion(ILogger logger, string eventId, string eventVersion, string sdkVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A Stripe {Type} event names a customer billing does not know; ignored")]
    static partial void LogUnknownCustomer(ILogger logger, string type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied Stripe {Type} to account {AccountId}")]
    static partial void LogApplied(ILogger logger, string type, string accountId);
}
