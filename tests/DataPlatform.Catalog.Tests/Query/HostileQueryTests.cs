using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// Requests an attacker sends on a public API's first day, anonymous and through the gateway, against an open
/// dataset of a few hundred wards: each gets a 400 in the front door's error format that names the limit, never a crash, a 5xx or the
/// database engine's name, and the platform answers an ordinary query afterwards.
/// </summary>
public abstract class HostileQueryTests(PlatformFixture platform)
{
    readonly string _wards = CatalogTestData.NewId("hostile");

    string WardsField => _wards.Replace('-', '_');

    /// <summary>The record type's name as the schema derives it from the id (hostile-ab12 → HostileAb12).</summary>
    string WardsType => string.Concat(_wards.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    async Task<HttpClient> GatewayWithWardsAsync()
    {
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(_wards, CatalogTestData.Metadata(titleVi: "Phường xã thử nghiệm", titleEn: "Test wards",
            columns: [CatalogTestData.Column("code", "string", key: true, filterable: true), CatalogTestData.Column("name", "string")]));
        await publisher.PublishOkAsync(_wards, "code,name\n" + string.Concat(Enumerable.Range(1, 300).Select(i => $"{i:00000},Phường {i}\n")));
        return platform.CreateGatewayClient();
    }

    static async Task<(HttpStatusCode Status, JsonElement Body, string Text)> GraphQLAsync(HttpClient client, string query, JsonObject? variables = null)
    {
        var body = new JsonObject { ["query"] = query };
        if (variables is not null)
        {
            body["variables"] = variables;
        }

        using var response = await client.PostAsync("/graphql", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), text);
    }

    static string FirstCode(JsonElement body) => body.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString()!;

    static void NamesNoEngine(string text)
    {
        Assert.DoesNotContain("SQLITE", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Npgsql", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Postgres", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    async Task StillServesAsync(HttpClient client)
    {
        using var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var page = await client.GetFromJsonAsync<JsonElement>($"/odata/{_wards}/Records?$top=2&$select=code");
        Assert.Equal(2, page.GetProperty("value").GetArrayLength());
    }

    [Fact]
    public async Task A_search_of_sixty_thousand_words_is_refused_by_both_doors_and_the_platform_lives_on()
    {
        using var client = await GatewayWithWardsAsync();
        var words = string.Concat(Enumerable.Repeat("a ", 60_000));

        // The issue's request: the document itself is over the size limit now, so it never reaches the search.
        var (inlineStatus, inline, inlineText) = await GraphQLAsync(client, $"{{ {WardsField}(first: 1, search: \"{words}\") {{ totalCount }} }}");
        // The same words as a variable, which the document limits do not see: the search limit refuses them.
        var (_, variable, variableText) = await GraphQLAsync(client,
            $"query($s: String) {{ {WardsField}(first: 1, search: $s) {{ totalCount edges {{ node {{ code }} }} }} }}", new JsonObject { ["s"] = words });
        using var odata = await client.GetAsync($"/odata/{_wards}/Records?$search={Uri.EscapeDataString(string.Concat(Enumerable.Repeat("ha ", 900)))}");
        using var odataFew = await client.GetAsync($"/odata/{_wards}/Records?$search={Uri.EscapeDataString(string.Concat(Enumerable.Repeat("ha ", 40)))}");

        Assert.Equal(HttpStatusCode.BadRequest, inlineStatus);
        Assert.Equal("DOCUMENT_TOO_LARGE", FirstCode(inline));
        Assert.Contains("65536", inlineText);
        Assert.Equal("SEARCHTERMS_LIMIT", FirstCode(variable));
        Assert.Contains("at most 32 words", variableText);
        Assert.Equal(HttpStatusCode.BadRequest, odata.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, odataFew.StatusCode);
        var error = (await odataFew.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("SearchTermsLimitExceeded", error.GetProperty("code").GetString());
        Assert.Equal("$search", error.GetProperty("target").GetString());
        Assert.Equal("SearchTermsLimitExceeded", (await odata.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        NamesNoEngine(inlineText + variableText);
        await StillServesAsync(client);
    }

    [Fact]
    public async Task Documents_of_thousands_of_fields_are_refused_before_they_are_validated()
    {
        using var client = await GatewayWithWardsAsync();
        var stopwatch = Stopwatch.StartNew();

        var (hugeStatus, huge, _) = await GraphQLAsync(client, "{ " + string.Concat(Enumerable.Repeat("__typename ", 100_000)) + "}");
        var (wideStatus, wide, wideText) = await GraphQLAsync(client, "{ " + string.Concat(Enumerable.Repeat("__typename ", 5_000)) + "}");
        var (countsStatus, counts, _) = await GraphQLAsync(client, $"{{ {WardsField}(first: 1) {{ " + string.Concat(Enumerable.Repeat("totalCount ", 5_000)) + "} }");
        // Fragments spread in each other multiply; counting each spread where it is used catches them.
        var fragments = new StringBuilder("{ ...f0 }\n");
        for (var i = 0; i < 30; i++)
        {
            fragments.Append($"fragment f{i} on Query {{ __typename ...f{i + 1} ...f{i + 1} }}\n");
        }

        fragments.Append("fragment f30 on Query { __typename }");
        var (spreadStatus, spread, _) = await GraphQLAsync(client, fragments.ToString());
        var (_, fine, _) = await GraphQLAsync(client, "{ " + string.Concat(Enumerable.Repeat("__typename ", 50)) + "}");

        Assert.Equal(HttpStatusCode.BadRequest, hugeStatus);
        Assert.Equal("DOCUMENT_TOO_LARGE", FirstCode(huge));
        Assert.Equal(HttpStatusCode.BadRequest, wideStatus);
        Assert.Contains("more than 1000 fields", wideText);
        Assert.Equal(HttpStatusCode.BadRequest, countsStatus);
        Assert.Equal("DOCUMENT_TOO_LARGE", FirstCode(counts));
        Assert.Equal(HttpStatusCode.BadRequest, spreadStatus);
        Assert.Equal("DOCUMENT_TOO_LARGE", FirstCode(spread));
        Assert.Equal("Query", fine.GetProperty("data").GetProperty("__typename").GetString());
        // Refused before parsing and validation: the four together take a fraction of what one took before the limits.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"took {stopwatch.Elapsed}");
        await StillServesAsync(client);
    }

    [Fact]
    public async Task Repeated_directives_yield_at_most_the_configured_number_of_errors()
    {
        using var client = await GatewayWithWardsAsync();

        var (_, body, text) = await GraphQLAsync(client, "{ __typename " + string.Concat(Enumerable.Repeat("@skip(if: false) ", 900)) + "}");

        var errors = body.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(101, errors.Count);
        Assert.Equal("TOO_MANY_ERRORS", errors[^1].GetProperty("extensions").GetProperty("code").GetString());
        Assert.Contains("more errors", errors[^1].GetProperty("message").GetString());
        Assert.True(text.Length < 100_000, $"{text.Length} characters of errors");
    }

    [Fact]
    public async Task Filters_with_thousands_of_branches_are_refused_with_the_limit_and_no_engine_name()
    {
        using var client = await GatewayWithWardsAsync();
        var branches = new JsonArray(Enumerable.Range(0, 5_000).Select(i => (JsonNode)new JsonObject { ["code"] = new JsonObject { ["eq"] = i.ToString("00000", System.Globalization.CultureInfo.InvariantCulture) } }).ToArray());

        var (_, wide, wideText) = await GraphQLAsync(client,
            $"query($w: {WardsType}Where) {{ {WardsField}(first: 1, where: $w) {{ totalCount }} }}", new JsonObject { ["w"] = new JsonObject { ["or"] = branches } });
        // Short values, so that the URL stays under the request-line limit and the filter's own limit is what refuses it.
        var values = string.Join(",", Enumerable.Range(0, 1_200).Select(i => $"'{i % 10}'"));
        using var odata = await client.GetAsync($"/odata/{_wards}/Records?$filter=code in ({values})");

        Assert.Equal("FILTERSIZE_LIMIT", FirstCode(wide));
        Assert.Contains("at most 1000 terms", wideText);
        NamesNoEngine(wideText);
        Assert.Equal(HttpStatusCode.BadRequest, odata.StatusCode);
        var error = (await odata.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("FilterSizeLimitExceeded", error.GetProperty("code").GetString());
        Assert.Contains("at most 1000 terms", error.GetProperty("message").GetString());
        await StillServesAsync(client);
    }

    [Fact]
    public async Task A_GraphQL_request_that_accepts_no_JSON_is_answered_406()
    {
        using var client = await GatewayWithWardsAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("{\"query\":\"{ __typename }\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/xml");
        using var json = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("{\"query\":\"{ __typename }\"}", Encoding.UTF8, "application/json"),
        };
        json.Headers.Accept.ParseAdd("application/xml, application/json;q=0.5");

        using var refused = await client.SendAsync(request);
        using var answered = await client.SendAsync(json);

        await refused.ProblemAsync(406);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Fact]
    public async Task Apply_chains_of_hundreds_of_steps_are_refused_by_the_same_filter_limits()
    {
        using var client = await GatewayWithWardsAsync();
        // 110 filter steps of eleven terms each: every step is short, together they are past the filter's size, in a URL
        // still short enough for the request-line limit.
        var steps = string.Join("/", Enumerable.Range(0, 110).Select(_ => "filter(code in ('1','2','3','4','5','6','7','8','9'))"));
        var nested = string.Concat(Enumerable.Repeat("not(", 40)) + "code eq '1'" + new string(')', 40);

        using var wide = await client.GetAsync($"/odata/{_wards}/Records?$apply={steps}/groupby((name),aggregate($count as n))");
        using var deep = await client.GetAsync($"/odata/{_wards}/Records?$apply=filter({nested})");

        Assert.Equal(HttpStatusCode.BadRequest, wide.StatusCode);
        var wideError = (await wide.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("FilterSizeLimitExceeded", wideError.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        Assert.Equal("FilterDepthLimitExceeded", (await deep.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        await StillServesAsync(client);
    }

    [Fact]
    public async Task Forged_paging_tokens_are_refused_whatever_they_hold()
    {
        using var client = await GatewayWithWardsAsync();
        static string Token(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        var first = await client.GetFromJsonAsync<JsonElement>($"/odata/{_wards}/Records?$select=code&$top=3");
        foreach (var forged in new[] { "[-5]", "[0]", "[\"1\"]", "[1.5]", "[1,2]", "{\"a\":1}", "[9223372036854775808]" })
        {
            using var response = await client.GetAsync($"/odata/{_wards}/Records?$select=code&$skiptoken={Token(forged)}");
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{forged}: {(int)response.StatusCode}");
            Assert.Equal("$skiptoken", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("target").GetString());
        }

        var (_, cursor, _) = await GraphQLAsync(client, $"{{ {WardsField}(first: 1, after: \"{Token("[-5]")}\") {{ nodes {{ code }} }} }}");
        Assert.Equal("INVALID_QUERY", FirstCode(cursor));
        // A token the service issued still works.
        Assert.Equal(3, first.GetProperty("value").GetArrayLength());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class HostileQueryTests_Embedded(CatalogEmbeddedFixture platform) : HostileQueryTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class HostileQueryTests_Production(CatalogProductionFixture platform) : HostileQueryTests(platform);
