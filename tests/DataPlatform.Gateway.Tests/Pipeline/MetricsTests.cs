using System.Net;
using DataPlatform.AppHost;
using DataPlatform.Gateway.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DataPlatform.Gateway.Tests.Pipeline;

/// <summary>The gateway's metrics are for operators: served on a listener of their own, never on the public address.</summary>
public abstract class MetricsTests(PlatformFixture platform)
{
    [Fact]
    public async Task Metrics_are_not_served_on_the_public_address_whatever_host_the_client_names()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        spoofed.Headers.Host = new Uri(MetricsAddress(gateway)).Authority;

        using var plain = await client.GetAsync("/metrics");
        using var withHost = await client.SendAsync(spoofed);

        foreach (var response in new[] { plain, withHost })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("http_server_request_duration", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Prometheus_scrapes_the_gateway_on_its_metrics_listener()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);
        using var metrics = PlatformFixture.OutsideClient(MetricsAddress(gateway));
        (await client.GetAsync("/api/v1/datasets/any")).Dispose();

        var text = await metrics.GetStringAsync("/metrics");
        using var other = await metrics.GetAsync("/api/v1/datasets/any");

        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        // The metrics listener is not a second way in to the proxy.
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task A_pinned_metrics_address_is_used_as_configured()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var port = FreePort();
        var gateway = await scenario.StartGatewayAsync(("DataPlatform:Telemetry:MetricsUrl", $"http://127.0.0.1:{port}"));
        using var metrics = PlatformFixture.OutsideClient($"http://127.0.0.1:{port}");

        var text = await metrics.GetStringAsync("/metrics");

        Assert.Contains("# TYPE", text, StringComparison.Ordinal);
        Assert.NotEqual(new Uri(gateway.Url).Port, port);
    }

    /// <summary>The metrics listener's address: the gateway's second, after its public one.</summary>
    static string MetricsAddress(RunningGateway gateway) =>
        gateway.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ElementAt(1);

    static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class MetricsTests_Embedded(EmbeddedPlatformFixture platform) : MetricsTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class MetricsTests_Production(ProductionPlatformFixture platform) : MetricsTests(platform);
