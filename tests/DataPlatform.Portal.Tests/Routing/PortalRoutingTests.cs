using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPlatform.Portal.Tests.Routing;

/// <summary>How the gateway and the portal share the public address, seen with a plain HTTP client.</summary>
public abstract class PortalRoutingTests(PortalPlatformFixture platform)
{
    [Fact]
    public async Task The_root_answers_a_browser_with_the_portal_and_a_json_client_with_the_index()
    {
        using var client = platform.CreateGatewayClient();

        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        using var page = await client.SendAsync(browser);
        using var json = new HttpRequestMessage(HttpMethod.Get, "/");
        json.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var index = await client.SendAsync(json);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html lang=\"vi\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("DataPlatform", (await index.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/datasets?q=ha+noi")]
    [InlineData("/datasets/don-vi-hanh-chinh-cap-tinh-2025")]
    [InlineData("/docs")]
    [InlineData("/datasets/no-such-dataset")]
    public async Task Every_page_forbids_framing_inline_script_and_sniffing(string path)
    {
        using var client = platform.CreateGatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await client.SendAsync(request);

        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Theory]
    [InlineData("vi-VN,vi;q=0.9", "Không tìm thấy trang")]
    [InlineData("en-US,en;q=0.9", "Page not found")]
    public async Task An_unknown_dataset_is_a_friendly_404_in_the_visitors_language_with_a_trace_id(string language, string heading)
    {
        using var client = platform.CreateGatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/datasets/no-such-dataset");
        request.Headers.Accept.ParseAdd("text/html");
        request.Headers.AcceptLanguage.ParseAdd(language);

        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(heading, html, StringComparison.Ordinal);
        Assert.Matches("<code>[0-9a-f]{32}</code>", html);
    }

    [Fact]
    public async Task The_stylesheet_and_script_are_served_by_the_portal_and_cached_by_version()
    {
        using var client = platform.CreateGatewayClient();
        var html = await client.GetStringAsync("/docs");
        var stylesheet = System.Text.RegularExpressions.Regex.Match(html, "href=\"(/assets/site\\.css\\?v=[0-9a-f]+)\"").Groups[1].Value;

        using var css = await client.GetAsync(stylesheet);
        using var script = await client.GetAsync("/assets/portal.js");

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", css.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length < 30_000);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PortalRoutingTests_Embedded(PortalEmbeddedFixture platform) : PortalRoutingTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PortalRoutingTests_Production(PortalProductionFixture platform) : PortalRoutingTests(platform);
