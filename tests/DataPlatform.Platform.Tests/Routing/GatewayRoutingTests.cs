using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DataPlatform.Platform.Tests.Routing;

/// <summary>What a client sees of the gateway's routing, on each backend.</summary>
public abstract class GatewayRoutingTests(PlatformFixture platform)
{
    [Theory]
    [InlineData("catalog")]
    [InlineData("billing")]
    public async Task Upstream_health_is_reachable_through_the_gateway(string service)
    {
        using var client = platform.CreateGatewayClient();

        using var response = await client.GetAsync($"/health/{service}/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Healthy", report.GetProperty("status").GetString());
        Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Gateway_is_ready_when_its_redis_answers()
    {
        using var client = platform.CreateGatewayClient();

        using var ready = await client.GetAsync("/health/ready");
        using var live = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var report = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Healthy", report.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/no/such/route")]
    [InlineData("/api/v2/datasets")]
    [InlineData("/health/unknown-service/ready")]
    public async Task Unknown_route_is_a_problem_details_404(string path)
    {
        using var client = platform.CreateGatewayClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal(path, problem.GetProperty("instance").GetString());
    }

    [Fact]
    public async Task Trace_context_from_the_client_reaches_the_upstream()
    {
        using var client = platform.CreateGatewayClient();
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/account");
        request.Headers.Add("traceparent", $"00-{traceId}-{"00f067aa0ba902b7"}-01");

        using var response = await client.SendAsync(request);

        // Billing answers this anonymous call with a problem; its traceId is billing's own span in the caller's trace.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(traceId, problem.GetProperty("traceId").GetString()!.Split('-')[1]);
    }

    [Theory]
    [InlineData("catalog", "DataPlatform Catalog API")]
    [InlineData("billing", "DataPlatform Billing API")]
    public async Task Each_service_publishes_its_openapi_document_through_the_gateway(string service, string title)
    {
        using var client = platform.CreateGatewayClient();

        var document = await client.GetFromJsonAsync<JsonElement>($"/openapi/{service}.json");

        Assert.Equal(title, document.GetProperty("info").GetProperty("title").GetString());
        var server = document.GetProperty("servers")[0].GetProperty("url").GetString();
        Assert.Equal(platform.Platform.Options.GatewayUrl, server);
    }

    [Fact]
    public async Task Swagger_ui_lists_every_service_document()
    {
        using var client = platform.CreateGatewayClient();

        var page = await client.GetStringAsync("/swagger/index.html");
        var config = await client.GetStringAsync("/swagger/index.js");

        Assert.Contains("swagger-ui", page, StringComparison.Ordinal);
        Assert.Contains("/openapi/catalog.json", config, StringComparison.Ordinal);
        Assert.Contains("/openapi/billing.json", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_exposed_for_prometheus_on_the_gateways_own_listener_and_not_publicly()
    {
        using var client = platform.CreateGatewayClient();
        await client.GetAsync("/health/live");
        var addresses = platform.Platform.Gateway!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        using var operatorClient = PlatformFixture.OutsideClient(addresses.ElementAt(1));

        var metrics = await operatorClient.GetStringAsync("/metrics");
        using var publicly = await client.GetAsync("/metrics");

        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, publicly.StatusCode);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class GatewayRoutingTests_Embedded(EmbeddedPlatformFixture platform) : GatewayRoutingTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class GatewayRoutingTests_Production(ProductionPlatformFixture platform) : GatewayRoutingTests(platform);
