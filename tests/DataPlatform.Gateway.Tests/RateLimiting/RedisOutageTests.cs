using System.Net;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.Contracts.Redis;
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

    [Fact]
    public async Task A_stalled_redis_times_out_into_local_limits_and_no_count_is_lost_or_doubled_when_it_answers_again()
    {
        var folder = Path.Combine(platform.DataDirectory, "stalled-redis-" + Guid.NewGuid().ToString("N")[..8]);
        await using var redis = await RestartableRedis.StartAsync(platform.Backend, folder);
        await using var relay = StallingRelay.Start(redis.Port);
        await using var scenario = await GatewayScenario.StartAsync(platform, redis.ConnectionString);
        var gateway = await scenario.StartGatewayAsync(
            ("DataPlatform:Redis", relay.ConnectionString), ("Gateway:Redis:TimeoutMilliseconds", "200"), ("Gateway:Redis:OpenSeconds", "0.5"));
        var (key, descriptor) = await scenario.IssueKeyAsync(GatewayScenario.Plan(burst: 1000, monthly: 1_000_000));
        var (unseen, _) = await scenario.IssueKeyAsync();
        var usage = RedisKeys.Usage(descriptor.ConsumerId, DateTimeOffset.UtcNow);
        using var keyed = GatewayScenario.Client(gateway);
        keyed.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var anonymous = GatewayScenario.ClientFrom(gateway, GatewayScenario.UniqueLoopback());
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync("/odata/any/rows?bytes=10")).StatusCode);
        }

        relay.Stall();
        // Redis keeps every connection open and answers nothing: each call times out, the breaker opens, and every
        // caller is served under local limits; a key this instance never saw cannot be checked and gets a 503.
        for (var i = 0; i < 10; i++)
        {
            using var response = await keyed.GetAsync("/odata/any/rows?bytes=10");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("\"local\";q=1000;w=1", response.Headers.GetValues("RateLimit-Policy").Single());
        }

        using var open = await anonymous.GetAsync("/catalog/datasets");
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        using var stranger = new HttpRequestMessage(HttpMethod.Get, "/odata/any/rows");
        stranger.Headers.Add("X-Api-Key", unseen);
        using var notChecked = await keyed.SendAsync(stranger);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notChecked.StatusCode);

        relay.Resume();
        // Once a probe gets through, the plan's shared limits are back.
        var served = 15;
        await GatewayScenario.EventuallyAsync(async () =>
        {
            using var response = await keyed.GetAsync("/odata/any/rows?bytes=10");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            served++;
            return response.Headers.GetValues("RateLimit-Policy").Single().StartsWith("\"burst\";q=1000", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), "the breaker to close");
        await gateway.DisposeAsync();

        // Every served request is metered once: those before, during and after the stall.
        Assert.Equal(served, (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")));
        Assert.Equal(served * 10, (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(null, "2xx")));
        // And counted once against the month: the calls that timed out at the gateway reached Redis when it answered
        // again and counted there, so the flush did not charge their requests a second time.
        var month = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(served, (long)await scenario.Database.HashGetAsync(
            RedisKeys.LimiterPrefix(descriptor.ConsumerId) + "state", "requests:" + month));
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class RedisOutageTests_Embedded(EmbeddedPlatformFixture platform) : RedisOutageTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class RedisOutageTests_Production(ProductionPlatformFixture platform) : RedisOutageTests(platform);
