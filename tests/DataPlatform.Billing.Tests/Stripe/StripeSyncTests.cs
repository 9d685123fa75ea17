using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Redis;

namespace DataPlatform.Billing.Tests.Stripe;

/// <summary>
/// Usage reaches Stripe exactly once: one customer per paying account, one meter event per account, metric and
/// hour with a deterministic identifier, retries that reuse it, and a duplicate answer taken as delivered.
/// </summary>
public abstract class StripeSyncTests(StripePlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    static DateTimeOffset PastHour(int hoursAgo)
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-hoursAgo);
    }

    static string Iso(DateTimeOffset moment) => Uri.EscapeDataString(moment.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"));

    async Task CountAndHarvestAsync(string accountId, DateTimeOffset hour, string statusClass, long requests, long bytes)
    {
        var redis = await _billing.RedisAsync();
        await redis.SetAddAsync(RedisKeys.UsageIndex(hour), accountId);
        await redis.HashIncrementAsync(RedisKeys.Usage(accountId, hour), UsageField.Requests(null, statusClass), requests);
        await redis.HashIncrementAsync(RedisKeys.Usage(accountId, hour), UsageField.Bytes(null, statusClass), bytes);
        using var admin = _billing.Admin();
        using var harvest = await admin.PostAsync($"/api/v1/admin/usage/harvest?from={Iso(hour)}&to={Iso(hour)}", null);
        Assert.Equal(HttpStatusCode.OK, harvest.StatusCode);
    }

    async Task<JsonElement> SyncAsync(DateTimeOffset from, DateTimeOffset to)
    {
        using var admin = _billing.Admin();
        using var response = await admin.PostAsync($"/api/v1/admin/stripe/sync?from={Iso(from)}&to={Iso(to)}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task A_paying_account_gets_one_customer_and_exactly_one_meter_event_per_metric_and_hour()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        var hour = PastHour(3);
        await CountAndHarvestAsync(accountId, hour, "2xx", 1_200, 3_000_000);
        await CountAndHarvestAsync(accountId, hour, "4xx", 30, 3_000);

        await SyncAsync(hour, hour.AddHours(1));
        await SyncAsync(hour, hour.AddHours(1));

        var customerCalls = platform.Stripe.Calls.Where(c => c.Path == "/v1/customers" && c.Form.GetValueOrDefault("metadata[account_id]") == accountId).ToList();
        var customerCall = Assert.Single(customerCalls);
        Assert.Equal("Sở Nội vụ tỉnh Thử Nghiệm", customerCall.Form["name"]);
        Assert.Equal("customer:" + accountId, customerCall.IdempotencyKey);
        var customer = platform.Stripe.CustomerOf(accountId);

        var events = platform.Stripe.MeterEventCalls.Where(c => c.Form["payload[stripe_customer_id]"] == customer).ToList();
        var bucket = RedisKeys.UsageHour(hour);
        Assert.Equal(
            new Dictionary<string, string>
            {
                [$"{accountId}:requests:{bucket}"] = "1200",
                [$"{accountId}:bytes:{bucket}"] = "3000000",
            },
            events.ToDictionary(e => e.Form["identifier"], e => e.Form["payload[value]"]));
        Assert.All(events, e => Assert.Equal(hour.ToUnixTimeSeconds().ToString(), e.Form["timestamp"]));
        Assert.Equal(["dataplatform_bytes", "dataplatform_requests"], events.Select(e => e.Form["event_name"]).Order());
    }

    [Fact]
    public async Task Injected_500_and_429_answers_are_retried_with_the_same_identifier_and_counted_once()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        var hour = PastHour(4);
        await SyncAsync(hour, hour.AddHours(1));
        await CountAndHarvestAsync(accountId, hour, "2xx", 77, 7_700);
        var before = platform.Stripe.MeterEventCalls.Count;
        platform.Stripe.FailNextMeterEvents(500, 429);

        var result = await SyncAsync(hour, hour.AddHours(1));

        Assert.Equal(2, result.GetProperty("retries").GetInt32());
        Assert.Equal(2, result.GetProperty("eventsSent").GetInt32());
        var calls = platform.Stripe.MeterEventCalls.Skip(before).ToList();
        Assert.Equal(4, calls.Count);
        Assert.Single(calls.Take(3).Select(c => c.Form["identifier"]).Distinct());
        var bucket = RedisKeys.UsageHour(hour);
        Assert.Equal(77, platform.Stripe.AcceptedEvents[$"{accountId}:requests:{bucket}"]);
        Assert.Equal(7_700, platform.Stripe.AcceptedEvents[$"{accountId}:bytes:{bucket}"]);
    }

    [Fact]
    public async Task An_event_stripe_already_has_is_taken_as_delivered_and_reconciliation_shows_no_difference()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        var hour = PastHour(6);
        await SyncAsync(hour, hour.AddHours(1));
        var customer = platform.Stripe.CustomerOf(accountId)!;
        // An earlier sync delivered the requests of this hour and stopped before it could record that.
        platform.Stripe.Preload($"{accountId}:requests:{RedisKeys.UsageHour(hour)}", customer, "dataplatform_requests", 640, hour.ToUnixTimeSeconds());
        await CountAndHarvestAsync(accountId, hour, "2xx", 640, 64_000);

        var result = await SyncAsync(hour, hour.AddHours(1));

        Assert.Equal(1, result.GetProperty("eventsAlreadyDelivered").GetInt32());
        Assert.Equal(1, result.GetProperty("eventsSent").GetInt32());
        Assert.Equal(640, platform.Stripe.AcceptedEvents[$"{accountId}:requests:{RedisKeys.UsageHour(hour)}"]);

        using var admin = _billing.Admin();
        var reconciliation = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/stripe/reconciliation?from={Iso(hour)}&to={Iso(hour.AddHours(1))}");
        var lines = reconciliation.GetProperty("lines").EnumerateArray().Where(l => l.GetProperty("accountId").GetString() == accountId).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal(0m, l.GetProperty("difference").GetDecimal()));
        Assert.Equal(640m, lines.Single(l => l.GetProperty("metric").GetString() == "requests").GetProperty("stripeCounted").GetDecimal());
    }

    [Fact]
    public async Task A_free_account_is_not_sent_to_stripe()
    {
        var accountId = await _billing.CreateAccountAsync(plan: "free");
        var hour = PastHour(7);
        await CountAndHarvestAsync(accountId, hour, "2xx", 5, 50);

        await SyncAsync(hour, hour.AddHours(1));

        Assert.Null(platform.Stripe.CustomerOf(accountId));
        Assert.DoesNotContain(platform.Stripe.MeterEventCalls, c => c.Form["identifier"].StartsWith(accountId + ":", StringComparison.Ordinal));
    }
}

[Collection(StripeEmbeddedCollection.Name)]
public sealed class StripeSyncTests_Embedded(StripeEmbeddedFixture platform) : StripeSyncTests(platform);

[Collection(StripeProductionCollection.Name)]
public sealed class StripeSyncTests_Production(StripeProductionFixture platform) : StripeSyncTests(platform);
