using System.Net;
using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.Gateway.Tests.Support;
using DataPlatform.ServiceDefaults.ConsumerContext;

namespace DataPlatform.Gateway.Tests.Portal;

/// <summary>
/// The portal calls the gateway for its visitors and vouches for each visitor's address with the portal-proxy
/// secret: the anonymous tier then limits the visitor, not the portal. Anyone else's claim is ignored.
/// </summary>
public abstract class PortalVisitorTests(PlatformFixture platform)
{
    [Fact]
    public async Task Visitors_vouched_for_by_the_portal_are_limited_each_by_their_own_address()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync(("Gateway:Anonymous:RequestsPerMinute", "1"));
        var portal = GatewayScenario.UniqueLoopback();
        var suffix = Random.Shared.Next(1, 250);
        var visitor = IPAddress.Parse($"198.51.{suffix}.{Random.Shared.Next(1, 250)}");
        var neighbour = IPAddress.Parse($"203.0.{suffix}.{Random.Shared.Next(1, 250)}");

        // The portal's own address has one call a minute, yet two visitors each get theirs through it.
        Assert.Equal(HttpStatusCode.OK, await CallAsync(gateway, portal, Vouch(visitor)));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(gateway, portal, Vouch(visitor)));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(gateway, portal, Vouch(neighbour)));
    }

    [Fact]
    public async Task A_visitor_header_signed_with_another_secret_is_ignored_and_never_reaches_the_upstream()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync(("Gateway:Anonymous:RequestsPerMinute", "1"));
        var client = GatewayScenario.UniqueLoopback();
        var forged = PortalVisitorHeader.Sign(IPAddress.Parse("192.0.2.7"), DateTimeOffset.UtcNow, "not-the-portal-proxy-secret-at-all-0000"u8);

        using var http = GatewayScenario.ClientFrom(gateway, client);
        using var first = new HttpRequestMessage(HttpMethod.Get, "/catalog/datasets");
        first.Headers.Add(PortalVisitorHeader.Name, forged);
        var echoed = await EchoedRequest.ReadAsync(await http.SendAsync(first));

        // Counted against the client's own address: a second forged call, for another address, is refused.
        var other = PortalVisitorHeader.Sign(IPAddress.Parse("192.0.2.8"), DateTimeOffset.UtcNow, "not-the-portal-proxy-secret-at-all-0000"u8);
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(gateway, client, other));
        Assert.DoesNotContain(PortalVisitorHeader.Name.ToLowerInvariant(), echoed.Headers);
    }

    [Fact]
    public async Task A_stale_visitor_header_is_ignored()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync(("Gateway:Anonymous:RequestsPerMinute", "1"));
        var client = GatewayScenario.UniqueLoopback();
        var secret = PortalProxySecret.Load(platform.Platform.Options).Key;
        var old = DateTimeOffset.UtcNow.AddMinutes(-10);

        Assert.Equal(HttpStatusCode.OK, await CallAsync(gateway, client, PortalVisitorHeader.Sign(IPAddress.Parse("192.0.2.9"), old, secret)));
        Assert.Equal(HttpStatusCode.TooManyRequests, await CallAsync(gateway, client, PortalVisitorHeader.Sign(IPAddress.Parse("192.0.2.10"), old, secret)));
    }

    string Vouch(IPAddress visitor) =>
        PortalVisitorHeader.Sign(visitor, DateTimeOffset.UtcNow, PortalProxySecret.Load(platform.Platform.Options).Key);

    static async Task<HttpStatusCode> CallAsync(AppHost.RunningGateway gateway, IPAddress source, string visitorHeader)
    {
        using var client = GatewayScenario.ClientFrom(gateway, source);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/catalog/datasets");
        request.Headers.Add(PortalVisitorHeader.Name, visitorHeader);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PortalVisitorTests_Embedded(EmbeddedPlatformFixture platform) : PortalVisitorTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PortalVisitorTests_Production(ProductionPlatformFixture platform) : PortalVisitorTests(platform);
