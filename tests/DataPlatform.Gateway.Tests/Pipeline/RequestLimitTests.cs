using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DataPlatform.Contracts.Access;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.Pipeline;

/// <summary>
/// The web server's limits on every service (DataPlatform:Http): a request too large in its headers, its URL or its
/// body is refused with a 4xx, never a 500, through the gateway and at an upstream reached directly.
/// </summary>
public abstract class RequestLimitTests(PlatformFixture platform)
{
    const int FortyMegabytes = 40 * 1024 * 1024;

    [Fact]
    public async Task A_graphql_body_of_40_MB_gets_413_with_a_problem_body_through_the_gateway()
    {
        using var client = PatientClient(platform.Platform.GatewayUrl);

        using var response = await client.SendAsync(OversizedPost("/graphql", FortyMegabytes));

        await AssertTooLargeAsync(response);
    }

    [Fact]
    public async Task A_graphql_body_over_the_limit_sent_straight_to_the_catalog_gets_413_not_500()
    {
        using var client = PatientClient(platform.Platform.CatalogUrl);

        using var response = await client.SendAsync(OversizedPost("/graphql", FortyMegabytes));

        await AssertTooLargeAsync(response);
    }

    [Fact]
    public async Task Headers_over_the_limit_get_431_and_an_overlong_url_gets_414()
    {
        using var client = platform.CreateGatewayClient();
        using var headers = new HttpRequestMessage(HttpMethod.Get, "/api/v1/datasets");
        headers.Headers.TryAddWithoutValidation("X-Padding", new string('h', 40 * 1024));
        using var many = new HttpRequestMessage(HttpMethod.Get, "/api/v1/datasets");
        for (var i = 0; i < 120; i++)
        {
            many.Headers.TryAddWithoutValidation("X-Padding-" + i, "x");
        }

        using var tooLarge = await client.SendAsync(headers);
        using var tooMany = await client.SendAsync(many);
        using var tooLong = await client.GetAsync("/api/v1/datasets?q=" + new string('q', 9 * 1024));

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, tooLong.StatusCode);
    }

    [Fact]
    public async Task A_publish_larger_than_the_default_body_limit_still_goes_through_the_gateway()
    {
        await using var scenario = await CatalogScenario.StartAsync(platform);
        var dataset = await scenario.PublishAsync(AccessLevel.Open);
        using var publisher = scenario.Client(await scenario.IssuePublisherKeyAsync());
        // 12 MiB, above the 10 MiB every other request may send: publishing has its own limit, Catalog:MaxUploadBytes.
        var csv = new StringBuilder("province_code,province,staff\n");
        for (var row = 0; csv.Length < 12 * 1024 * 1024; row++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{row % 100:00},Tỉnh {new string('x', 1000)},{row}\n");
        }

        using var content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
        using var response = await publisher.PostAsync($"/api/v1/datasets/{dataset}/versions", content);

        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// A client that waits for the server's answer to <c>Expect: 100-continue</c> however busy the machine is, rather
    /// than start sending the body after a second, as a client does by default, into a server that is refusing it.
    /// </summary>
    static HttpClient PatientClient(string baseAddress) =>
        new(new SocketsHttpHandler { ActivityHeadersPropagator = null, Expect100ContinueTimeout = TimeSpan.FromMinutes(1) })
        {
            BaseAddress = new Uri(baseAddress),
        };

    /// <summary>A POST that announces its length and waits for the server's go-ahead, as curl sends a large file.</summary>
    static HttpRequestMessage OversizedPost(string path, int length)
    {
        var content = new ByteArrayContent(new byte[length]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        return request;
    }

    static async Task AssertTooLargeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(413, problem.GetProperty("status").GetInt32());
        // Which side stops the upload first is a race: the catalog, whose problem names the limit, or the gateway while
        // it still forwards the body, whose problem says only that the request is too large. Both are a 413 problem.
        if (problem.TryGetProperty("detail", out var detail))
        {
            Assert.Contains("10485760", detail.GetString(), StringComparison.Ordinal);
        }
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class RequestLimitTests_Embedded(EmbeddedPlatformFixture platform) : RequestLimitTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class RequestLimitTests_Production(ProductionPlatformFixture platform) : RequestLimitTests(platform);
