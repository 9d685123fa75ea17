using System.Net;
using System.Net.Http.Headers;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.Pipeline;

/// <summary>What browsers and large downloads need from the gateway's edge: CORS, JSON compression, streaming.</summary>
public abstract class EdgeTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_browser_preflight_is_answered_and_the_ratelimit_headers_are_exposed()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/odata/any/rows");
        preflight.Headers.Add("Origin", "https://example.gov.vn");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-api-key");
        using var actual = new HttpRequestMessage(HttpMethod.Get, "/odata/any/rows");
        actual.Headers.Add("Origin", "https://example.gov.vn");

        using var answer = await client.SendAsync(preflight);
        using var response = await client.SendAsync(actual);

        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("*", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("x-api-key", answer.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
        var exposed = response.Headers.GetValues("Access-Control-Expose-Headers").Single();
        Assert.Contains("RateLimit-Policy", exposed, StringComparison.Ordinal);
        Assert.Contains("Retry-After", exposed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_is_compressed_for_clients_that_ask_and_downloads_are_not()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var json = await client.GetAsync("/api/v1/datasets/any");
        using var download = await client.GetAsync("/api/v1/datasets/any/download?bytes=300000", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal("gzip", json.Content.Headers.ContentEncoding.Single());
        Assert.Empty(download.Content.Headers.ContentEncoding);
        Assert.Equal(300000, (await download.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task A_download_streams_through_as_the_upstream_sends_it_not_once_it_is_complete()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var download = await client.GetAsync("/api/v1/datasets/any/download?held=1000000", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await download.Content.ReadAsStreamAsync();
        var buffer = new byte[1_000_000];
        try
        {
            // The first megabyte arrives while the upstream is still holding back the second (a gateway that
            // buffered the download would send nothing before the upstream finished, and this would time out).
            await body.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            scenario.Upstream.Release.TrySetResult();
        }

        await body.ReadExactlyAsync(buffer);

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(0, await body.ReadAsync(buffer));
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class EdgeTests_Embedded(EmbeddedPlatformFixture platform) : EdgeTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class EdgeTests_Production(ProductionPlatformFixture platform) : EdgeTests(platform);
