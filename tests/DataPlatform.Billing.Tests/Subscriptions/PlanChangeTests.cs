using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Redis;

namespace DataPlatform.Billing.Tests.Subscriptions;

/// <summary>
/// A plan change in the middle of the month, as a partner sees it on the invoice: usage made before the change stays
/// under the old plan, and the new plan's included requests are prorated as its fee is.
/// </summary>
public abstract class PlanChangeTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    [Fact]
    public async Task Requests_made_under_free_before_an_upgrade_do_not_use_up_or_overrun_the_new_plans_allowance()
    {
        var planId = BillingDriver.UniqueId("metered").ToLowerInvariant();
        using var admin = _billing.Admin();
        using (var put = await admin.PutAsJsonAsync($"/api/v1/admin/plans/{planId}", new
        {
            name = "Theo lượt",
            burstPerSecond = 10,
            requestsPerMinute = 600,
            monthlyRequests = 0,
            monthlyBytes = 0,
            includedRequests = 20,
            includedBytes = 0,
            monthlyFee = 100_000,
            pricePerGb = 0,
            tiers = new[] { new { upTo = (long?)null, pricePer1000 = 1_000_000L } },
            billableStatusClasses = new[] { "2xx" },
        }))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var accountId = await _billing.CreateAccountAsync(plan: "free");
        // 61 requests in the hour the account opened, under free.
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var redis = await _billing.RedisAsync();
        await redis.SetAddAsync(RedisKeys.UsageIndex(hour), accountId);
        await redis.HashIncrementAsync(RedisKeys.Usage(accountId, hour), UsageField.Requests(null, "2xx"), 61);
        var at = Uri.EscapeDataString(hour.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"));
        using (var harvest = await admin.PostAsync($"/api/v1/admin/usage/harvest?from={at}&to={at}", null))
        {
            Assert.Equal(HttpStatusCode.OK, harvest.StatusCode);
        }

        using var owner = _billing.Owner(accountId);
        using (var upgrade = await owner.PutAsJsonAsync("/api/v1/account/subscription/plan", new { planId }))
        {
            Assert.True(upgrade.IsSuccessStatusCode, await upgrade.Content.ReadAsStringAsync());
        }

        var invoice = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices/current");

        var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
        // The 61 requests stay with free (its allowance for the few seconds it was held, and no price beyond it): the
        // new plan has no usage lines, so its 20 included requests are untouched and nothing is charged as overage.
        var included = lines.Where(l => l.GetProperty("kind").GetString() == "included").ToList();
        Assert.Contains("gói Miễn phí", included.Single().GetProperty("description").GetString());
        Assert.DoesNotContain(lines, l => l.GetProperty("kind").GetString() == "usage");
        var fee = lines.Single(l => l.GetProperty("kind").GetString() == "fee").GetProperty("amount").GetInt64();
        Assert.Equal(fee, invoice.GetProperty("subtotal").GetInt64());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PlanChangeTests_Embedded(BillingEmbeddedFixture platform) : PlanChangeTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PlanChangeTests_Production(BillingProductionFixture platform) : PlanChangeTests(platform);
