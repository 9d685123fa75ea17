using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Redis;

namespace DataPlatform.Billing.Tests.Usage;

/// <summary>
/// What the gateway meters for requests whose status does not tell: a GraphQL refusal is not a billable read, a
/// GraphQL read of a paid dataset counts under its data product, and account calls count against limits without
/// being billed. Through the real gateway, catalog and billing.
/// </summary>
public abstract class MeteringOutcomeTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    const string PaidDataset = "bien_che_cong_chuc_theo_tinh";
    const string Product = "hr-analytics";
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    /// <summary>Every usage field of the account in the hours since <paramref name="since"/>, added up.</summary>
    async Task<Dictionary<string, long>> UsageAsync(string accountId, DateTimeOffset since)
    {
        var redis = await _billing.RedisAsync();
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var hour = since.AddMinutes(-since.Minute).AddSeconds(-since.Second); hour <= DateTimeOffset.UtcNow; hour = hour.AddHours(1))
        {
            foreach (var entry in await redis.HashGetAllAsync(RedisKeys.Usage(accountId, hour)))
            {
                fields[entry.Name!] = fields.GetValueOrDefault(entry.Name!) + (long)entry.Value;
            }
        }

        return fields;
    }

    /// <summary>Waits for the gateway's metering flush (every second) to have added <paramref name="field"/>.</summary>
    async Task<Dictionary<string, long>> UsageOnceFlushedAsync(string accountId, DateTimeOffset since, string field, long atLeast = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var usage = await UsageAsync(accountId, since);
            if (usage.GetValueOrDefault(field) >= atLeast || DateTime.UtcNow > deadline)
            {
                return usage;
            }

            await Task.Delay(100);
        }
    }

    static async Task<(HttpResponseMessage Response, JsonElement Body)> GraphQLAsync(HttpClient gateway, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query = $"{{ {PaidDataset}(first: 1) {{ totalCount }} }}" }),
        };
        request.Headers.Add("X-Api-Key", key);
        var response = await gateway.SendAsync(request);
        return (response, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    [Fact]
    public async Task A_GraphQL_refusal_is_metered_as_one_and_a_read_of_a_paid_dataset_counts_under_its_product()
    {
        var since = DateTimeOffset.UtcNow;
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        var (key, _) = await _billing.CreateKeyAsync(accountId);
        using var gateway = _billing.Platform.CreateGatewayClient();

        var (refused, refusal) = await GraphQLAsync(gateway, key);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal(JsonValueKind.Null, refusal.GetProperty("data").GetProperty(PaidDataset).ValueKind);
        Assert.Equal("SUBSCRIPTION_REQUIRED", refusal.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        Assert.False(refused.Headers.Contains("X-DataPlatform-Usage"));

        var usage = await UsageOnceFlushedAsync(accountId, since, UsageField.Requests(null, "4xx"));
        Assert.Equal(1, usage.GetValueOrDefault(UsageField.Requests(null, "4xx")));
        Assert.DoesNotContain(usage.Keys, field => field.Contains("|2xx|", StringComparison.Ordinal));

        using (var owner = _billing.Owner(accountId))
        using (var subscribed = await owner.PostAsJsonAsync("/api/v1/account/subscription/products", new { productId = Product }))
        {
            Assert.True(subscribed.IsSuccessStatusCode, await subscribed.Content.ReadAsStringAsync());
        }

        // The entitlement reaches the gateway through the descriptor and its invalidation.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        JsonElement read;
        while (true)
        {
            (var response, read) = await GraphQLAsync(gateway, key);
            response.Dispose();
            if (read.GetProperty("data").GetProperty(PaidDataset).ValueKind == JsonValueKind.Object || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.True(read.GetProperty("data").GetProperty(PaidDataset).GetProperty("totalCount").GetInt64() > 0);
        usage = await UsageOnceFlushedAsync(accountId, since, UsageField.Requests(Product, "2xx"));
        Assert.Equal(1, usage.GetValueOrDefault(UsageField.Requests(Product, "2xx")));
        Assert.True(usage.GetValueOrDefault(UsageField.Bytes(Product, "2xx")) > 0);
        Assert.Equal(0, usage.GetValueOrDefault(UsageField.Requests(null, "2xx")));
        refused.Dispose();

        // The product's invoice line tells its usage: the one GraphQL read.
        using var admin = _billing.Admin();
        var at = Uri.EscapeDataString(since.UtcDateTime.ToString("yyyy-MM-ddTHH:00:00Z"));
        using (var harvest = await admin.PostAsync($"/api/v1/admin/usage/harvest?from={at}", null))
        {
            Assert.Equal(HttpStatusCode.OK, harvest.StatusCode);
        }

        using var reader = _billing.Owner(accountId);
        var invoice = await reader.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices/current");
        var productLine = invoice.GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("kind").GetString() == "product");
        Assert.Contains("(1 lượt gọi, ", productLine.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Account_calls_count_against_limits_but_are_metered_apart_and_never_billed()
    {
        var since = DateTimeOffset.UtcNow;
        var accountId = await _billing.CreateAccountAsync(plan: "developer");
        var (key, _) = await _billing.CreateKeyAsync(accountId);
        using var gateway = _billing.Platform.CreateGatewayClient();

        var monthly = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/account/");
            request.Headers.Add("X-Api-Key", key);
            using var response = await gateway.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var rateLimit = response.Headers.GetValues("RateLimit").Single();
            monthly.Add(long.Parse(System.Text.RegularExpressions.Regex.Match(rateLimit, "\"monthly\";r=(\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        // Limited like every keyed call: each takes one from the month's request quota.
        Assert.Equal([monthly[0], monthly[0] - 1, monthly[0] - 2], monthly);

        var usage = await UsageOnceFlushedAsync(accountId, since, UsageField.Requests(null, UsageField.AccountClassPrefix + "2xx"), 3);
        Assert.Equal(3, usage.GetValueOrDefault(UsageField.Requests(null, "account-2xx")));
        Assert.Equal(0, usage.GetValueOrDefault(UsageField.Requests(null, "2xx")));

        using var admin = _billing.Admin();
        var at = Uri.EscapeDataString(since.UtcDateTime.ToString("yyyy-MM-ddTHH:00:00Z"));
        using (var harvest = await admin.PostAsync($"/api/v1/admin/usage/harvest?from={at}", null))
        {
            Assert.Equal(HttpStatusCode.OK, harvest.StatusCode);
        }

        using var owner = _billing.Owner(accountId);
        var byStatus = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/usage?groupBy=status");
        Assert.Contains("account-2xx", byStatus.ToString());
        var invoice = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices/current");
        Assert.DoesNotContain(invoice.GetProperty("lines").EnumerateArray(), l => l.GetProperty("kind").GetString() is "included" or "usage");
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class MeteringOutcomeTests_Embedded(BillingEmbeddedFixture platform) : MeteringOutcomeTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class MeteringOutcomeTests_Production(BillingProductionFixture platform) : MeteringOutcomeTests(platform);
