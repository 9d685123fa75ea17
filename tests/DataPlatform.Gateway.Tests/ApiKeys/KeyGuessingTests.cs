using System.Globalization;
using System.Net;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.RateLimiting;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.ApiKeys;

/// <summary>
/// Refused keys as someone guessing them sends them: each gets its problem and leaves nothing behind in usage or
/// quotas, and an address that sends too many has its keyed requests refused for a while, on any instance.
/// </summary>
public abstract class KeyGuessingTests(PlatformFixture platform)
{
    [Theory]
    [InlineData("malformed", HttpStatusCode.Unauthorized, GatewayProblemTypes.MalformedApiKey)]
    [InlineData("unknown", HttpStatusCode.Unauthorized, GatewayProblemTypes.UnknownApiKey)]
    [InlineData("revoked", HttpStatusCode.Forbidden, GatewayProblemTypes.RevokedApiKey)]
    [InlineData("expired", HttpStatusCode.Forbidden, GatewayProblemTypes.ExpiredApiKey)]
    public async Task A_refused_key_gets_its_problem_and_leaves_no_usage_or_quota_trace(string kind, HttpStatusCode status, string type)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var hour = DateTimeOffset.UtcNow;
        var (key, descriptor) = await RefusedKeyAsync(scenario, kind);
        var address = GatewayScenario.UniqueLoopback();
        using var client = GatewayScenario.ClientFrom(gateway, address);

        foreach (var path in new[] { "/api/v1/datasets/any/rows", $"/odata/any/rows?api_key={key}", "/graphql" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (!path.Contains("api_key", StringComparison.Ordinal))
            {
                request.Headers.TryAddWithoutValidation("X-Api-Key", key);
            }

            using var response = await client.SendAsync(request);

            var problem = await ApiKeyTests.ProblemAsync(response, status);
            Assert.Equal(type, problem.GetProperty("type").GetString());
        }

        // A served request from the same gateway is flushed; the refused ones, flushed or not, would be in by then.
        var (witness, witnessDescriptor) = await scenario.IssueKeyAsync();
        using var served = GatewayScenario.Client(gateway);
        served.DefaultRequestHeaders.Add("X-Api-Key", witness);
        Assert.Equal(HttpStatusCode.OK, (await served.GetAsync("/api/v1/datasets/any")).StatusCode);
        await GatewayScenario.EventuallyAsync(
            async () => await scenario.Database.KeyExistsAsync(RedisKeys.Usage(witnessDescriptor.ConsumerId, hour)),
            TimeSpan.FromSeconds(10), "the served request to be metered");

        Assert.All(new[] { "/api/v1/datasets/any/rows", "/odata/any/rows", "/graphql" }, path => Assert.False(scenario.Upstream.Received.ContainsKey(path)));
        Assert.False(await scenario.Database.KeyExistsAsync(RedisKeys.LimiterPrefix(AnonymousPartition.Of(address)) + RedisLimiter.QuotaSuffix));
        if (descriptor is not null)
        {
            Assert.False(await scenario.Database.KeyExistsAsync(RedisKeys.Usage(descriptor.ConsumerId, hour)));
            Assert.False(await scenario.Database.KeyExistsAsync(RedisKeys.LimiterPrefix(descriptor.ConsumerId) + RedisLimiter.QuotaSuffix));
        }
    }

    [Fact]
    public async Task An_address_that_sends_too_many_refused_keys_gets_429_for_every_keyed_request_until_the_window_ends()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync(("Gateway:KeyFailures:Limit", "4"), ("Gateway:KeyFailures:WindowSeconds", "300"));
        var (valid, _) = await scenario.IssueKeyAsync();
        var (revoked, _) = await RefusedKeyAsync(scenario, "revoked");
        var (expired, _) = await RefusedKeyAsync(scenario, "expired");
        var guesser = GatewayScenario.UniqueLoopback();
        using var client = GatewayScenario.ClientFrom(gateway, guesser);

        // One of each kind counts: four refusals reach the limit.
        foreach (var guess in new[] { "dp_guess", ApiKeyFormat.Generate(), revoked, expired })
        {
            using var refused = await SendAsync(client, guess);
            Assert.True(refused.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, refused.StatusCode.ToString());
        }

        using var guessed = await SendAsync(client, ApiKeyFormat.Generate());
        using var evenValid = await SendAsync(client, valid);
        using var withoutKey = await client.GetAsync("/api/v1/datasets/any");
        using var other = GatewayScenario.ClientFrom(gateway, GatewayScenario.UniqueLoopback());
        using var elsewhere = await SendAsync(other, valid);

        foreach (var blocked in new[] { guessed, evenValid })
        {
            var problem = await ApiKeyTests.ProblemAsync(blocked, HttpStatusCode.TooManyRequests);
            Assert.Equal(GatewayProblemTypes.TooManyFailedKeys, problem.GetProperty("type").GetString());
            var retryAfter = int.Parse(blocked.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 300);
            Assert.Equal(retryAfter, problem.GetProperty("retryAfter").GetInt32());
        }

        // Requests without a key, and keys from other addresses, are served as usual.
        Assert.Equal(HttpStatusCode.OK, withoutKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
        // The count is the address's, shared by every instance, and ends with the window.
        var counter = RedisKeys.KeyFailures(AnonymousPartition.Of(guesser));
        Assert.Equal(4, (long)await scenario.Database.StringGetAsync(counter));
        var ttl = await scenario.Database.KeyTimeToLiveAsync(counter);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(300));
    }

    [Fact]
    public async Task Another_instance_refuses_the_address_after_its_first_refused_key_and_an_IPv6_address_counts_by_its_64()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        (string, string?)[] settings = [("Gateway:KeyFailures:Limit", "3"), ("Gateway:KeyFailures:WindowSeconds", "300")];
        var first = await scenario.StartGatewayAsync(settings);
        var second = await scenario.StartGatewayAsync(settings);
        var (valid, _) = await scenario.IssueKeyAsync();
        var guesser = GatewayScenario.UniqueLoopback();
        using var one = GatewayScenario.ClientFrom(first, guesser);
        using var two = GatewayScenario.ClientFrom(second, guesser);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(one, ApiKeyFormat.Generate())).StatusCode);
        }

        // The second instance has not seen the address yet: one more guess is checked, and then it refuses too.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(two, ApiKeyFormat.Generate())).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(two, valid)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(one, valid)).StatusCode);

        // Addresses of one IPv6 /64 share a count, as they share the anonymous tier's limits.
        Assert.Equal(
            RedisKeys.KeyFailures(AnonymousPartition.Of(IPAddress.Parse("2001:db8:1:2::1"))),
            RedisKeys.KeyFailures(AnonymousPartition.Of(IPAddress.Parse("2001:db8:1:2:ffff::9"))));
    }

    static async Task<HttpResponseMessage> SendAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/datasets/any");
        request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        return await client.SendAsync(request);
    }

    static async Task<(string Key, ApiKeyDescriptor? Descriptor)> RefusedKeyAsync(GatewayScenario scenario, string kind) => kind switch
    {
        "malformed" => ("dp_" + new string('x', 20), null),
        "unknown" => (ApiKeyFormat.Generate(), null),
        "revoked" => await scenario.IssueKeyAsync(status: ApiKeyStatus.Revoked),
        "expired" => await scenario.IssueKeyAsync(expiresAt: DateTimeOffset.UtcNow.AddMinutes(-1)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

[Collection(EmbeddedCollection.Name)]
public sealed class KeyGuessingTests_Embedded(EmbeddedPlatformFixture platform) : KeyGuessingTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class KeyGuessingTests_Production(ProductionPlatformFixture platform) : KeyGuessingTests(platform);
