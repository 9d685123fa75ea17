using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Billing.Tests.Usage;

/// <summary>
/// The ledger holds exactly what the gateway counted, however often and however concurrently it is harvested.
/// Counters are written the way the contract tells the gateway to: an index set per hour and a hash per consumer and
/// hour whose fields hold absolute running totals.
/// </summary>
public abstract class UsageLedgerTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    /// <summary>An hour far enough back that the background harvester's window still covers it.</summary>
    static DateTimeOffset PastHour(int hoursAgo)
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-hoursAgo);
    }

    async Task CountAsync(string consumer, DateTimeOffset hour, string? product, string statusClass, long requests, long bytes)
    {
        var redis = await _billing.RedisAsync();
        await redis.SetAddAsync(RedisKeys.UsageIndex(hour), consumer);
        await redis.HashIncrementAsync(RedisKeys.Usage(consumer, hour), UsageField.Requests(product, statusClass), requests);
        await redis.HashIncrementAsync(RedisKeys.Usage(consumer, hour), UsageField.Bytes(product, statusClass), bytes);
    }

    async Task<JsonElement> HarvestAsync(DateTimeOffset from, DateTimeOffset to)
    {
        using var admin = _billing.Admin();
        using var response = await admin.PostAsync($"/api/v1/admin/usage/harvest?from={Iso(from)}&to={Iso(to)}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    async Task<JsonElement> UsageAsync(string accountId, string groupBy, DateTimeOffset from, DateTimeOffset to)
    {
        using var owner = _billing.Owner(accountId);
        return await owner.GetFromJsonAsync<JsonElement>($"/api/v1/account/usage?groupBy={groupBy}&from={Iso(from)}&to={Iso(to)}");
    }

    async Task<JsonElement> ReconcileAsync(string accountId, DateTimeOffset from, DateTimeOffset to)
    {
        using var admin = _billing.Admin();
        return await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/usage/reconciliation?accountId={accountId}&from={Iso(from)}&to={Iso(to)}");
    }

    static string Iso(DateTimeOffset moment) => Uri.EscapeDataString(moment.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"));

    [Fact]
    public async Task Harvesting_the_same_counters_again_and_again_stores_them_once()
    {
        var account = BillingDriver.UniqueId("acct-usage");
        var hour = PastHour(3);
        await CountAsync(account, hour, null, "2xx", 1_234, 56_789);
        await CountAsync(account, hour, "hr-analytics", "2xx", 10, 1_000);
        await CountAsync(account, hour, null, "4xx", 7, 700);

        for (var i = 0; i < 5; i++)
        {
            await HarvestAsync(hour, hour);
        }

        var usage = await UsageAsync(account, "status", hour, hour.AddHours(1));
        Assert.Equal(1_251, usage.GetProperty("requests").GetInt64());
        Assert.Equal(58_489, usage.GetProperty("bytes").GetInt64());
        var byStatus = usage.GetProperty("buckets").EnumerateArray().ToDictionary(b => b.GetProperty("bucket").GetString()!, b => b.GetProperty("requests").GetInt64());
        Assert.Equal(1_244, byStatus["2xx"]);
        Assert.Equal(7, byStatus["4xx"]);
    }

    [Fact]
    public async Task Concurrent_harvests_while_the_gateway_keeps_counting_end_with_exactly_the_final_totals()
    {
        var account = BillingDriver.UniqueId("acct-race");
        var hour = PastHour(2);
        long expectedRequests = 0, expectedBytes = 0;

        var harvests = new List<Task>();
        for (var round = 0; round < 10; round++)
        {
            await CountAsync(account, hour, "admin-units", "2xx", 100 + round, 1_000 * (round + 1));
            expectedRequests += 100 + round;
            expectedBytes += 1_000 * (round + 1);
            harvests.Add(HarvestAsync(hour, hour));
            harvests.Add(HarvestAsync(hour, hour));
        }

        await Task.WhenAll(harvests);
        await Task.WhenAll(HarvestAsync(hour, hour), HarvestAsync(hour, hour), HarvestAsync(hour, hour));

        var usage = await UsageAsync(account, "product", hour, hour.AddHours(1));
        Assert.Equal(expectedRequests, usage.GetProperty("requests").GetInt64());
        Assert.Equal(expectedBytes, usage.GetProperty("bytes").GetInt64());
        Assert.Equal("admin-units", usage.GetProperty("buckets")[0].GetProperty("bucket").GetString());
    }

    [Fact]
    public async Task Reconciliation_shows_the_unharvested_difference_and_then_zero()
    {
        var account = BillingDriver.UniqueId("acct-recon");
        var hour = PastHour(5);
        await CountAsync(account, hour, null, "2xx", 500, 5_000);
        await HarvestAsync(hour, hour);
        await CountAsync(account, hour, null, "2xx", 25, 250);

        var before = await ReconcileAsync(account, hour, hour);

        Assert.Equal(2, before.GetProperty("differenceCount").GetInt32());
        var requests = before.GetProperty("differences").EnumerateArray().Single(d => d.GetProperty("measure").GetString() == "requests");
        Assert.Equal(525, requests.GetProperty("counter").GetInt64());
        Assert.Equal(500, requests.GetProperty("ledger").GetInt64());

        await HarvestAsync(hour, hour);
        var after = await ReconcileAsync(account, hour, hour);

        Assert.Equal(0, after.GetProperty("differenceCount").GetInt32());
        Assert.Equal(2, after.GetProperty("countersChecked").GetInt32());
        Assert.Equal(after.GetProperty("counterTotal").GetInt64(), after.GetProperty("ledgerTotal").GetInt64());
    }

    [Fact]
    public async Task Usage_by_day_follows_the_calendar_in_ha_noi()
    {
        var account = BillingDriver.UniqueId("acct-days");
        // 16:00 and 17:00 UTC are 23:00 and 00:00 in Hà Nội: two different local days.
        var day = DateTimeOffset.UtcNow.Date.AddDays(-1);
        var late = new DateTimeOffset(day.Year, day.Month, day.Day, 16, 0, 0, TimeSpan.Zero);
        var midnight = late.AddHours(1);
        await CountAsync(account, late, null, "2xx", 3, 30);
        await CountAsync(account, midnight, null, "2xx", 4, 40);
        await HarvestAsync(late, midnight);

        var usage = await UsageAsync(account, "day", late.AddHours(-2), midnight.AddHours(2));

        var days = usage.GetProperty("buckets").EnumerateArray().ToDictionary(b => b.GetProperty("bucket").GetString()!, b => b.GetProperty("requests").GetInt64());
        Assert.Equal(3, days[late.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd")]);
        Assert.Equal(4, days[midnight.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd")]);

        var hourly = await UsageAsync(account, "hour", late, midnight.AddHours(1));
        Assert.Equal(2, hourly.GetProperty("buckets").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_grouping_is_refused_with_a_problem()
    {
        using var owner = _billing.Owner(BillingDriver.UniqueId("acct-bad"));

        using var response = await owner.GetAsync("/api/v1/account/usage?groupBy=fortnight");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("groupBy", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class UsageLedgerTests_Embedded(BillingEmbeddedFixture platform) : UsageLedgerTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class UsageLedgerTests_Production(BillingProductionFixture platform) : UsageLedgerTests(platform);
