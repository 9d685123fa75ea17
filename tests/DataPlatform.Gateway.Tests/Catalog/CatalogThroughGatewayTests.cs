using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataPlatform.AppHost;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.Catalog;

/// <summary>
/// The gateway in front of the real catalog, as the platform runs: datasets published through the catalog's API
/// (which writes their descriptors), read through the fixture's gateway on each of the four access levels, with
/// the RateLimit headers and the metered bytes of the catalog's real responses.
/// </summary>
public abstract partial class CatalogThroughGatewayTests(PlatformFixture platform)
{
    static string Records(string dataset) => $"/odata/{dataset}/Records?$select=province,staff&$orderby=province_code";

    [Fact]
    public async Task Open_data_is_read_without_a_key_under_the_anonymous_limits()
    {
        await using var scenario = await CatalogScenario.StartAsync(platform);
        var dataset = await scenario.PublishAsync(AccessLevel.Open);
        using var client = scenario.Client();

        using var response = await client.GetAsync(Records(dataset));

        Assert.Equal(["Hà Nội", "Hồ Chí Minh"], await ProvincesAsync(response));
        // A fresh client address: the first request of the anonymous tier's 20 per second and 300 per minute.
        Assert.Equal("\"burst\";q=20;w=1, \"minute\";q=300;w=60", response.Headers.GetValues("RateLimit-Policy").Single());
        Assert.Equal("\"burst\";r=19;t=1, \"minute\";r=299;t=1", response.Headers.GetValues("RateLimit").Single());
    }

    [Fact]
    public async Task Registered_data_asks_for_a_key_and_any_valid_key_reads_it()
    {
        await using var scenario = await CatalogScenario.StartAsync(platform);
        var dataset = await scenario.PublishAsync(AccessLevel.Registered);
        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(burst: 50, perMinute: 600, monthly: 1000));
        using var anonymous = scenario.Client();
        using var keyed = scenario.Client(key);

        using var refused = await anonymous.GetAsync(Records(dataset));
        using var served = await keyed.GetAsync(Records(dataset));

        var problem = await ProblemAsync(refused, HttpStatusCode.Unauthorized);
        Assert.Equal(ProblemTypes.AuthenticationRequired, problem.GetProperty("type").GetString());
        Assert.Equal(["Hà Nội", "Hồ Chí Minh"], await ProvincesAsync(served));
        Assert.Equal("\"burst\";q=50;w=1, \"minute\";q=600;w=60, \"monthly\";q=1000;w=" + MonthSeconds(),
            served.Headers.GetValues("RateLimit-Policy").Single());
        Assert.StartsWith("\"burst\";r=49;t=1, \"minute\";r=599;t=1, \"monthly\";r=999;t=", served.Headers.GetValues("RateLimit").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Paid_data_points_a_key_without_the_product_to_the_plans_and_serves_a_subscriber()
    {
        await using var scenario = await CatalogScenario.StartAsync(platform);
        var product = "feed-" + Guid.NewGuid().ToString("N")[..8];
        var dataset = await scenario.PublishAsync(AccessLevel.Paid, product);
        var (subscriber, _) = await scenario.IssueKeyAsync(entitlements: Entitlements.Product(product));
        var (other, _) = await scenario.IssueKeyAsync();
        using var withProduct = scenario.Client(subscriber);
        using var withoutProduct = scenario.Client(other);

        using var refused = await withoutProduct.GetAsync(Records(dataset));
        using var served = await withProduct.GetAsync(Records(dataset));

        var problem = await ProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Equal(GatewayProblemTypes.SubscriptionRequired, problem.GetProperty("type").GetString());
        Assert.Equal(product, problem.GetProperty("productId").GetString());
        Assert.Equal("/api/v1/account/plans", problem.GetProperty("plans").GetString());
        Assert.Equal(["Hà Nội", "Hồ Chí Minh"], await ProvincesAsync(served));
    }

    [Theory]
    [InlineData("/odata/{0}/Records")]
    [InlineData("/odata/{0}/$metadata")]
    [InlineData("/api/v1/datasets/{0}")]
    public async Task Restricted_data_answers_exactly_as_a_dataset_that_does_not_exist(string pathFormat)
    {
        await using var scenario = await CatalogScenario.StartAsync(platform);
        var dataset = await scenario.PublishAsync(AccessLevel.Restricted);
        var missing = "gw-missing-" + Guid.NewGuid().ToString("N")[..10];
        var (granted, _) = await scenario.IssueKeyAsync(entitlements: Entitlements.Dataset(dataset));
        var (other, _) = await scenario.IssueKeyAsync();
        using var withGrant = scenario.Client(granted);
        using var anonymous = scenario.Client();
        using var withoutGrant = scenario.Client(other);

        using var served = await withGrant.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, dataset));
        var absent = await AnswerAsync(withoutGrant, pathFormat, missing);

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, absent.Status);
        foreach (var client in new[] { anonymous, withoutGrant })
        {
            var hidden = await AnswerAsync(client, pathFormat, dataset);
            Assert.Equal(absent.Status, hidden.Status);
            Assert.Equal(absent.ContentType, hidden.ContentType);
            Assert.Equal(absent.ODataVersion, hidden.ODataVersion);
            Assert.Equal(Normalize(absent.Body, missing), Normalize(hidden.Body, dataset));
        }
    }

    [Theory]
    [InlineData("/odata/{0}/Records")]
    [InlineData("/api/v1/datasets/{0}/rows")]
    [InlineData("/api/v1/datasets/{0}/download.csv")]
    public async Task Restricted_data_is_limited_and_answered_exactly_as_an_unknown_id_under_concurrent_anonymous_requests(string pathFormat)
    {
        await using var scenario = await CatalogScenario.StartAsync(platform);
        var restricted = await scenario.PublishAsync(AccessLevel.Restricted);
        var missing = "gw-missing-" + Guid.NewGuid().ToString("N")[..10];
        // Five a minute and no tighter burst: the minute's five are spent at once and come back one per 12 s, so 60
        // requests sent together get five answers and 55 refusals however they interleave.
        var gateway = await scenario.StartGatewayAsync(("Gateway:Anonymous:BurstPerSecond", "1000"), ("Gateway:Anonymous:RequestsPerMinute", "5"));

        var hidden = await SendTogetherAsync(gateway, pathFormat, restricted, 60);
        var absent = await SendTogetherAsync(gateway, pathFormat, missing, 60);

        Assert.Equal(5, absent.Count(answer => answer.Status == HttpStatusCode.NotFound));
        Assert.Equal(55, absent.Count(answer => answer.Status == HttpStatusCode.TooManyRequests));
        Assert.Equal(Tally(absent), Tally(hidden));
        foreach (var status in new[] { HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests })
        {
            var one = absent.First(answer => answer.Status == status);
            var other = hidden.First(answer => answer.Status == status);
            Assert.Equal(one.Headers, other.Headers);
            Assert.Equal(one.ContentType, other.ContentType);
            Assert.Contains("RateLimit", other.Headers);
            Assert.Contains("RateLimit-Policy", other.Headers);
            Assert.Equal(Normalize(one.Body, missing), Normalize(other.Body, restricted));
        }
    }

    sealed record Exchange(HttpStatusCode Status, string Headers, string? ContentType, string Body);

    static async Task<Exchange[]> SendTogetherAsync(RunningGateway gateway, string pathFormat, string dataset, int count)
    {
        using var client = GatewayScenario.ClientFrom(gateway, GatewayScenario.UniqueLoopback());
        var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, dataset);
        return await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            using var response = await client.GetAsync(path);
            var names = response.Headers.Concat(response.Content.Headers)
                .Select(header => header.Key).Where(name => name != "Date").Order(StringComparer.OrdinalIgnoreCase);
            return new Exchange(response.StatusCode, string.Join(",", names), response.Content.Headers.ContentType?.ToString(),
                await response.Content.ReadAsStringAsync());
        }));
    }

    static string Tally(IEnumerable<Exchange> answers) =>
        string.Join(", ", answers.GroupBy(answer => answer.Status).OrderBy(group => group.Key).Select(group => $"{(int)group.Key}: {group.Count()}"));

    [Fact]
    public async Task The_bytes_of_a_real_catalog_response_are_metered_to_the_consumer_and_product()
    {
        await using var scenario = await CatalogScenario.StartAsync(platform);
        var product = "feed-" + Guid.NewGuid().ToString("N")[..8];
        var dataset = await scenario.PublishAsync(AccessLevel.Paid, product);
        var (key, descriptor) = await scenario.IssueKeyAsync(entitlements: Entitlements.Product(product));
        using var client = scenario.Client(key);
        var hour = DateTimeOffset.UtcNow;

        using var first = await client.GetAsync(Records(dataset));
        using var second = await client.GetAsync($"/odata/{dataset}/Records?$top=1&$select=province");
        var bytes = (await first.Content.ReadAsByteArrayAsync()).Length + (await second.Content.ReadAsByteArrayAsync()).Length;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var usage = RedisKeys.Usage(descriptor.ConsumerId, hour);
        await GatewayScenario.EventuallyAsync(
            async () => (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(product, "2xx")) == 2,
            TimeSpan.FromSeconds(10), "the gateway to flush the usage");
        Assert.Equal(bytes, (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(product, "2xx")));
    }

    sealed record Answer(HttpStatusCode Status, string? ContentType, string? ODataVersion, string Body);

    static async Task<Answer> AnswerAsync(HttpClient client, string pathFormat, string dataset)
    {
        using var response = await client.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, dataset));
        return new Answer(
            response.StatusCode,
            response.Content.Headers.ContentType?.ToString(),
            response.Headers.TryGetValues("OData-Version", out var version) ? version.Single() : null,
            await response.Content.ReadAsStringAsync());
    }

    /// <summary>The body with what must differ between two answers (the id asked for, the trace id) taken out.</summary>
    static string Normalize(string body, string dataset) =>
        Seconds().Replace(TraceId().Replace(body.Replace(dataset, "<id>", StringComparison.Ordinal), "\"traceId\":\"<trace>\""), "<n>");

    static async Task<List<string?>> ProvincesAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("value").EnumerateArray().Select(row => row.GetProperty("province").GetString())];
    }

    static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The length of the current calendar month in Asia/Ho_Chi_Minh (UTC+7), in seconds.</summary>
    static long MonthSeconds()
    {
        var local = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7));
        return DateTime.DaysInMonth(local.Year, local.Month) * 86_400L;
    }

    [GeneratedRegex("\"traceId\":\"[^\"]*\"")]
    private static partial Regex TraceId();

    // A 429 says how many seconds are left, which moves on between two requests.
    [GeneratedRegex("(?<=Retry after |\"retryAfter\":)[0-9]+")]
    private static partial Regex Seconds();
}

[Collection(EmbeddedCollection.Name)]
public sealed class CatalogThroughGatewayTests_Embedded(EmbeddedPlatformFixture platform) : CatalogThroughGatewayTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class CatalogThroughGatewayTests_Production(ProductionPlatformFixture platform) : CatalogThroughGatewayTests(platform);
