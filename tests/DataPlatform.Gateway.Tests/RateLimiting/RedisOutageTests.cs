using System.Net;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.Gateway.Tests.ApiKeys;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.RateLimiting;

/// <summary>What callers get while Redis is away, under each configuration.</summary>
public abstract class RedisOutageTests(PlatformFixture platform)
{
    [Fact]
    public async Task Configured_to_refuse_keyed_calls_answer_503_with_retry_after_while_open_data_is_still_served()
    {
        var folder = Path.Combine(platform.DataDirectory, "outage-redis-" + Guid.NewGuid().ToString("N")[..8]);
        await using var redis = await RestartableRedis.StartAsync(platform.Backend, folder);
        await using var scenario = await GatewayScenario.StartAsync(platform, redis.ConnectionString);
        var gateway = await scenario.StartGatewayAsync(("Gateway:Redis:KeyedTraffic", "Refuse"), ("Gateway:Redis:OpenSeconds", "30"));
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Open);
        var (key, _) = await scenario.IssueKeyAsync();
        using var keyed = GatewayScenario.Client(gateway);
        keyed.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var anonymous = GatewayScenario.Client(gateway);
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync($"/odata/{dataset}/rows")).StatusCode);

        await redis.StopAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await keyed.GetAsync($"/odata/{dataset}/rows");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                var problem = await ApiKeyTests.ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
                Assert.Equal(GatewayProblemTypes.LimiterUnavailable, problem.GetProperty("type").GetString());
                Assert.Equal("30", response.Headers.GetValues("Retry-After").Single());
            }
        }

        using var open = await anonymous.GetAsync($"/odata/{dataset}/rows");

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        // The anonymous tier's local limit (20 a second by default), this instance's first open-data call of the second.
        Assert.Equal("\"local\";q=20;w=1", open.Headers.GetValues("RateLimit-Policy").Single());
        Assert.Equal("\"local\";r=19;t=1", open.Headers.GetValues("RateLimit").Single());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class RedisOutageTests_Embedded(EmbeddedPlatformFixture platform) : RedisOutageTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class RedisOutageTests_Production(ProductionPlatformFixture platform) : RedisOutageTests(platform);
