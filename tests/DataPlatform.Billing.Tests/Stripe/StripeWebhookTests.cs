using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Billing.Tests.Stripe;

/// <summary>
/// Stripe's webhook: only correctly signed, fresh events are accepted; each event id acts once; payment events
/// suspend and restore an account's keys.
/// </summary>
public abstract class StripeWebhookTests(StripePlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    /// <summary>A partner account known to Stripe, with a key; returns the account, its Stripe customer and the key.</summary>
    async Task<(string AccountId, string Customer, string Key)> CustomerWithKeyAsync()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        using var admin = _billing.Admin();
        var now = Uri.EscapeDataString(DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"));
        using var sync = await admin.PostAsync($"/api/v1/admin/stripe/sync?from={now}&to={now}", null);
        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        var (key, _) = await _billing.CreateKeyAsync(accountId);
        return (accountId, platform.Stripe.CustomerOf(accountId)!, key);
    }

    static string Event(string id, string type, string customer, string? apiVersion = null, string status = "open") => JsonSerializer.Serialize(new
    {
        id,
        @object = "event",
        api_version = apiVersion ?? global::Stripe.StripeConfiguration.ApiVersion,
        created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        type,
        data = new { @object = new { id = "in_" + id, @object = type.StartsWith("invoice", StringComparison.Ordinal) ? "invoice" : "subscription", customer, number = "HD-" + id[^6..], status } },
    });

    static string Signature(string payload, string secret, DateTimeOffset at)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString();
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + payload));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }

    async Task<HttpResponseMessage> PostAsync(string payload, string? signature = null)
    {
        using var client = platform.CreateBillingClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/billing/stripe/webhook")
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Stripe-Signature", signature ?? Signature(payload, StripePlatformFixture.WebhookSecret, DateTimeOffset.UtcNow));
        return await client.SendAsync(request);
    }

    static string EventId() => "evt_" + Guid.NewGuid().ToString("N")[..20];

    [Fact]
    public async Task A_failed_payment_suspends_the_keys_with_the_reason_and_a_paid_invoice_restores_them()
    {
        var (_, customer, key) = await CustomerWithKeyAsync();

        using var failed = await PostAsync(Event(EventId(), "invoice.payment_failed", customer));

        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        var suspended = await _billing.DescriptorAsync(key);
        Assert.Equal(ApiKeyStatus.Suspended, suspended!.Status);
        Assert.Contains("HD-", suspended.StatusReason);

        using var paid = await PostAsync(Event(EventId(), "invoice.paid", customer, status: "paid"));

        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        Assert.Equal(ApiKeyStatus.Active, (await _billing.DescriptorAsync(key))!.Status);
    }

    [Fact]
    public async Task An_event_signed_with_another_secret_is_refused_and_changes_nothing()
    {
        var (_, customer, key) = await CustomerWithKeyAsync();
        var payload = Event(EventId(), "invoice.payment_failed", customer);

        using var response = await PostAsync(payload, Signature(payload, "whsec_someone_else", DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ApiKeyStatus.Active, (await _billing.DescriptorAsync(key))!.Status);
    }

    [Fact]
    public async Task An_event_signed_more_than_300_seconds_ago_is_refused()
    {
        var (_, customer, key) = await CustomerWithKeyAsync();
        var payload = Event(EventId(), "invoice.payment_failed", customer);

        using var stale = await PostAsync(payload, Signature(payload, StripePlatformFixture.WebhookSecret, DateTimeOffset.UtcNow.AddSeconds(-301)));
        using var fresh = await PostAsync(payload, Signature(payload, StripePlatformFixture.WebhookSecret, DateTimeOffset.UtcNow.AddSeconds(-240)));

        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal(ApiKeyStatus.Suspended, (await _billing.DescriptorAsync(key))!.Status);
    }

    [Fact]
    public async Task A_replayed_event_is_acknowledged_but_not_applied_again()
    {
        var (accountId, customer, key) = await CustomerWithKeyAsync();
        var payload = Event(EventId(), "invoice.payment_failed", customer);
        using var first = await PostAsync(payload);
        using var admin = _billing.Admin();
        using var reactivate = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/status", new { status = "active" });

        using var replay = await PostAsync(payload);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.True((await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());
        Assert.Equal(ApiKeyStatus.Active, (await _billing.DescriptorAsync(key))!.Status);
    }

    [Fact]
    public async Task An_event_of_another_api_version_is_still_understood()
    {
        var (_, customer, key) = await CustomerWithKeyAsync();

        using var response = await PostAsync(Event(EventId(), "customer.subscription.updated", customer, apiVersion: "2020-08-27", status: "past_due"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("handled").GetBoolean());
        Assert.Equal(ApiKeyStatus.Suspended, (await _billing.DescriptorAsync(key))!.Status);
    }

    [Fact]
    public async Task A_deleted_subscription_moves_the_account_to_the_free_plan()
    {
        var (_, customer, key) = await CustomerWithKeyAsync();

        using var response = await PostAsync(Event(EventId(), "customer.subscription.deleted", customer, status: "canceled"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("free", (await _billing.DescriptorAsync(key))!.Limits.PlanId);
    }
}

[Collection(StripeEmbeddedCollection.Name)]
public sealed class StripeWebhookTests_Embedded(StripeEmbeddedFixture platform) : StripeWebhookTests(platform);

[Collection(StripeProductionCollection.Name)]
public sealed class StripeWebhookTests_Production(StripeProductionFixture platform) : StripeWebhookTests(platform);
