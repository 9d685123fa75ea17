using System.Net;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.RateLimiting;

/// <summary>Calls without a key: limited per client address, which a forwarded header sets only from a trusted proxy.</summary>
public abstract class AnonymousTierTests(PlatformFixture platform)
{
    [Fact]
    public async Task Anonymous_calls_are_limited_per_client_address()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync(("Gateway:Anonymous:RequestsPerMinute", "3"));
        using var client = GatewayScenario.ClientFrom(gateway, GatewayScenario.UniqueLoopback());
        using var neighbour = GatewayScenario.ClientFrom(gateway, GatewayScenario.UniqueLoopback());

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync("/catalog/datasets");
            statuses.Add(response.StatusCode);
            Assert.Contains("\"minute\";q=3;w=60", response.Headers.GetValues("RateLimit-Policy").Single(), StringComparison.Ordinal);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        using var other = await neighbour.GetAsync("/catalog/datasets");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task X_forwarded_for_is_believed_only_from_a_trusted_proxy()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        // Each gateway gets test addresses of its own, since anonymous limits are shared through Redis by address.
        var suffix = Random.Shared.Next(1, 250);
        var proxy = GatewayScenario.UniqueLoopback();
        var trusting = await scenario.StartGatewayAsync(("Gateway:Anonymous:RequestsPerMinute", "1"), ("Gateway:TrustedProxies:0", proxy.ToString()));
        var distrusting = await scenario.StartGatewayAsync(("Gateway:Anonymous:RequestsPerMinute", "1"));
        var first = $"198.51.{suffix}.{Random.Shared.Next(1, 250)}";
        var second = $"203.0.{suffix}.{Random.Shared.Next(1, 250)}";

        Assert.Equal(HttpStatusCode.OK, await CallAsync(trusting, proxy, first));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(trusting, proxy, first));
        using var client = GatewayScenario.ClientFrom(trusting, proxy);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/catalog/datasets");
        request.Headers.Add("X-Forwarded-For", second);
        var echoed = await EchoedRequest.ReadAsync(await client.SendAsync(request));
        Assert.StartsWith(second, echoed.ForwardedFor, StringComparison.Ordinal);

        // The untrusting gateway counts by the real peer (loopback), whatever the header claims.
        var untrusted = GatewayScenario.UniqueLoopback();
        Assert.Equal(HttpStatusCode.OK, await CallAsync(distrusting, untrusted, "192.0.2." + suffix));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(distrusting, untrusted, "192.0.2." + (suffix + 1)));
    }

    [Fact]
    public async Task A_client_is_limited_by_the_last_address_the_trusted_proxy_saw_not_by_what_it_claims_before_it()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var proxy = GatewayScenario.UniqueLoopback();
        var gateway = await scenario.StartGatewayAsync(("Gateway:Anonymous:RequestsPerMinute", "1"), ("Gateway:TrustedProxies:0", proxy.ToString()));
        var suffix = Random.Shared.Next(1, 250);
        var client = $"198.51.{suffix}.{Random.Shared.Next(1, 250)}";

        // The proxy appends the address it saw to whatever the client sent: a forged first entry changes nothing.
        Assert.Equal(HttpStatusCode.OK, await CallAsync(gateway, proxy, $"203.0.{suffix}.1, {client}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(gateway, proxy, $"203.0.{suffix}.2, {client}"));
    }

    [Fact]
    public async Task The_addresses_of_one_ipv6_subnet_share_one_anonymous_limit()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var proxy = GatewayScenario.UniqueLoopback();
        var gateway = await scenario.StartGatewayAsync(("Gateway:Anonymous:RequestsPerMinute", "1"), ("Gateway:TrustedProxies:0", proxy.ToString()));
        // A /64 is what one subscriber gets: rotating through its addresses must not multiply the limit.
        var subnet = $"2001:db8:{Random.Shared.Next(1, 0xffff):x}:{Random.Shared.Next(1, 0xffff):x}";
        var neighbour = $"2001:db8:{Random.Shared.Next(1, 0xffff):x}:{Random.Shared.Next(1, 0xffff):x}";

        Assert.Equal(HttpStatusCode.OK, await CallAsync(gateway, proxy, subnet + "::1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(gateway, proxy, subnet + ":abcd:ef01:2345:6789"));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(gateway, proxy, neighbour + "::1"));
    }

    static async Task<HttpStatusCode> CallAsync(AppHost.RunningGateway gateway, System.Net.IPAddress source, string forwardedFor)
    {
        using var client = GatewayScenario.ClientFrom(gateway, source);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/catalog/datasets");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class AnonymousTierTests_Embedded(EmbeddedPlatformFixture platform) : AnonymousTierTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class AnonymousTierTests_Production(ProductionPlatformFixture platform) : AnonymousTierTests(platform);
