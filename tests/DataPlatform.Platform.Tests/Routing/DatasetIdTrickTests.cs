using System.Net;
using System.Text.Json;

namespace DataPlatform.Platform.Tests.Routing;

/// <summary>
/// Dataset ids that try to climb out of their path, hide a terminator, overflow a buffer, pass for another id or
/// break out of a string: through the gateway, every endpoint that takes an id answers them with a 4xx and an error
/// body of its own format (a problem, or CKAN's envelope), never a 5xx, a stack trace or an engine's name.
/// </summary>
public abstract class DatasetIdTrickTests(PlatformFixture platform)
{
    /// <summary>Ids as they go on the wire: percent-encoding is part of the trick, so they are sent unaltered.</summary>
    public static TheoryData<string> Ids => new()
    {
        "..%2f..%2f..%2fetc%2fpasswd",
        "..%252f..%252fhealth",
        "%2e%2e",
        "%2e%2e%2f%2e%2e%2fhealth",
        "..%5c..%5cwindows%5cwin.ini",
        "dan-so%00",
        "%00",
        "dan-so%00.jsonld",
        new string('a', 101),
        new string('x', 6000),
        Uri.EscapeDataString("dаn-sо"),
        Uri.EscapeDataString("ｄａｎ-ｓｏ"),
        Uri.EscapeDataString("dan‐so"),
        Uri.EscapeDataString("dan-so\u200b"),
        Uri.EscapeDataString("DAN-SO"),
        "dan-so;drop",
        Uri.EscapeDataString("x';DROP TABLE datasets;--"),
        Uri.EscapeDataString("\"x\" OR \"1\"=\"1\""),
        "x;jsessionid=1",
        "%25%32%65%25%32%65",
    };

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task A_tricky_id_is_a_4xx_with_an_error_body_on_every_endpoint_that_takes_one(string id)
    {
        using var client = platform.CreateGatewayClient();
        string[] problemPaths =
        [
            $"/api/v1/datasets/{id}",
            $"/api/v1/datasets/{id}/versions/1/rows",
            $"/catalog/datasets/{id}.jsonld",
        ];

        foreach (var path in problemPaths)
        {
            var (status, type, body) = await GetRawAsync(client, path);
            AssertRefused(path, status, body);
            // Kestrel refuses a NUL character in the path itself, with an empty 400, before any of the platform's
            // code runs; everything else reaches the catalog and gets its problem.
            var refusedByHttpServer = id.Contains("%00", StringComparison.Ordinal) && status == 400 && body.Length == 0;
            Assert.True(refusedByHttpServer || type == "application/problem+json", $"{path}: {status} {type} {body}");
        }

        var ckan = $"/api/3/action/package_show?id={id}";
        var (ckanStatus, ckanType, ckanBody) = await GetRawAsync(client, ckan);
        AssertRefused(ckan, ckanStatus, ckanBody);
        Assert.True(ckanType == "application/json", $"{ckan}: {ckanStatus} {ckanType} {ckanBody}");
        Assert.False(JsonDocument.Parse(ckanBody).RootElement.GetProperty("success").GetBoolean());
    }

    [Fact]
    public async Task After_the_tricks_the_platform_still_answers_health_and_the_catalog()
    {
        using var client = platform.CreateGatewayClient();
        foreach (var id in Ids)
        {
            await GetRawAsync(client, $"/api/v1/datasets/{id}");
            await GetRawAsync(client, $"/api/3/action/package_show?id={id}");
        }

        using var ready = await client.GetAsync("/health/ready");
        using var catalog = await client.GetAsync("/health/catalog/ready");
        // The tricks spent this address's anonymous burst; the limit says when to come back, and the catalog answers then.
        using var search = await PatientGetAsync(client, "/api/v1/datasets?limit=1");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, catalog.StatusCode);
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
    }

    static async Task<HttpResponseMessage> PatientGetAsync(HttpClient client, string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await client.GetAsync(path);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == 5)
            {
                return response;
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait < TimeSpan.FromSeconds(30) ? wait : TimeSpan.FromSeconds(30));
        }
    }

    static void AssertRefused(string path, int status, string body)
    {
        Assert.True(status is 400 or 404, $"{path}: {status} {body}");
        foreach (var leak in new[] { "SQLite", "Npgsql", "Postgres", "   at ", "Exception" })
        {
            Assert.False(body.Contains(leak, StringComparison.OrdinalIgnoreCase), $"{path}: the answer mentions '{leak}': {body}");
        }
    }

    /// <summary>
    /// Sends <paramref name="path"/> as written, without the client's own unescaping and dot-segment removal. The
    /// anonymous tier's burst limit is the gateway tests' subject, not this one's: a 429 is waited out as told.
    /// </summary>
    static async Task<(int Status, string? Type, string Body)> GetRawAsync(HttpClient client, string path)
    {
        var uri = new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        for (var attempt = 1; ; attempt++)
        {
            using var response = await client.GetAsync(uri);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && attempt < 20)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }

            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        }
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class DatasetIdTrickTests_Embedded(EmbeddedPlatformFixture platform) : DatasetIdTrickTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class DatasetIdTrickTests_Production(ProductionPlatformFixture platform) : DatasetIdTrickTests(platform);
