using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DataPlatform.Catalog.Tests.Ckan;

/// <summary>
/// The exact requests that ckanapi's <c>RemoteCKAN.call_action</c> and ckanext-harvest's CKAN harvester send,
/// answered as those clients expect. (The Python clients cannot be installed here, so their requests are
/// reproduced byte for byte: ckanapi POSTs <c>json.dumps(data_dict).encode('ascii')</c> with
/// <c>Content-Type: application/json</c> to <c>{address}/api/action/{name}</c>, or with <c>get_only</c> GETs the
/// same parameters as a query string; the harvester GETs <c>/api/3/action/package_search?rows=100&amp;start=…&amp;
/// sort=id+asc&amp;fq=…</c> and follows each package's organization and groups with <c>organization_show</c> and
/// <c>group_show</c>.)
/// </summary>
public abstract class CkanClientRequestTests(CatalogPlatformFixture platform)
{
    const string CkanapiUserAgent = "ckanapi/4.8 (+https://github.com/ckan/ckanapi)";

    /// <summary>A CKAN name, as ckanext-harvest and CKAN's validators require of groups and organizations.</summary>
    static readonly Regex _ckanName = new("^[a-z0-9_-]{2,100}$");

    [Fact]
    public async Task Ckanapi_call_action_posts_JSON_to_api_action_and_reads_the_result()
    {
        var id = CatalogTestData.NewId();
        var word = CatalogTestData.NewWord();
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata(titleVi: $"Dân số {word}", keywords: ["dân số"]));
        }

        using var client = platform.CreateGatewayClient();
        var show = await CallActionAsync(client, "package_show", new { id });
        var search = await CallActionAsync(client, "package_search", new Dictionary<string, object>
        {
            ["q"] = $"dan so {word}",
            ["rows"] = 5,
            ["start"] = 0,
            ["facet.field"] = new[] { "organization", "groups" },
            ["include_private"] = false,
        });

        Assert.Equal("Dân số " + word, show.GetProperty("title").GetString());
        Assert.Equal(1, search.GetProperty("count").GetInt64());
        Assert.Equal(id, search.GetProperty("results")[0].GetProperty("name").GetString());
        Assert.Equal(1, search.GetProperty("search_facets").GetProperty("organization").GetProperty("items")[0].GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Every_action_answers_GET_JSON_POST_and_form_POST_alike_on_both_paths()
    {
        var id = CatalogTestData.NewId();
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata());
        }

        using var client = platform.CreateGatewayClient();
        foreach (var path in new[] { "/api/action/package_show", "/api/3/action/package_show" })
        {
            using var get = await client.GetAsync($"{path}?id={id}");
            using var json = await client.PostAsync(path, new StringContent($"{{\"id\": \"{id}\"}}", Encoding.ASCII, "application/json"));
            using var form = await client.PostAsync(path, new FormUrlEncodedContent([new("id", id)]));
            using var multipart = await client.PostAsync(path, new MultipartFormDataContent { { new StringContent(id), "id" } });

            foreach (var response in new[] { get, json, form, multipart })
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                Assert.True(body.GetProperty("success").GetBoolean());
                Assert.Equal(id, body.GetProperty("result").GetProperty("id").GetString());
            }
        }
    }

    [Theory]
    [InlineData("/api/action/package_show", "{not json", 400, "Bad Request", "JSON Error")]
    [InlineData("/api/action/package_show", "[\"a\"]", 400, "Bad Request", "dictionary")]
    [InlineData("/api/action/package_show", "{}", 409, "Validation Error", "Missing value")]
    [InlineData("/api/action/package_show", "{\"id\": \"khong-co-bo-nay\"}", 404, "Not Found Error", "Not found")]
    [InlineData("/api/action/package_search", "{\"rows\": \"nhieu\"}", 409, "Validation Error", "Invalid integer")]
    [InlineData("/api/action/package_search", "{\"rows\": -1}", 409, "Validation Error", "natural number")]
    [InlineData("/api/action/package_create", "{\"name\": \"x\"}", 400, "Bad Request", "Action name not known")]
    public async Task A_POSTed_call_that_fails_gets_CKANs_error_envelope(string path, string body, int status, string type, string message)
    {
        using var client = platform.CreateGatewayClient();
        using var response = await client.PostAsync(path, new StringContent(body, Encoding.ASCII, "application/json"));

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(reply.GetProperty("success").GetBoolean());
        Assert.Equal(type, reply.GetProperty("error").GetProperty("__type").GetString());
        Assert.Contains(message, reply.GetProperty("error").GetProperty("message").GetString());
        Assert.EndsWith("/api/3/action/help_show?name=" + path.Split('/')[^1], reply.GetProperty("help").GetString());
    }

    [Fact]
    public async Task The_harvester_gets_only_datasets_modified_since_its_last_run_in_id_order()
    {
        var organization = "so-" + CatalogTestData.NewWord();
        var other = "so-khac-" + CatalogTestData.NewWord();
        var before = new List<string> { CatalogTestData.NewId("b"), CatalogTestData.NewId("a") };
        var after = new List<string> { CatalogTestData.NewId("d"), CatalogTestData.NewId("c"), CatalogTestData.NewId("e") };
        using var publisher = platform.Publisher();
        foreach (var id in before)
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata(publisherId: id == before[0] ? other : organization));
        }

        using var client = platform.CreateGatewayClient();
        // The harvester asks for everything modified since its last error-free gather started; here, just after the
        // last dataset of the first run was written.
        var last = (await client.JsonAsync($"/api/3/action/package_show?id={before[^1]}")).GetProperty("result").GetProperty("metadata_modified").GetString()!;
        var since = DateTime.Parse(last, System.Globalization.CultureInfo.InvariantCulture).AddTicks(10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var id in after)
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata(publisherId: id == after[0] ? other : organization));
        }

        var organizations = $"organization:{organization} OR organization:{other}";
        var full = await HarvestAsync(client, [organizations], rows: 2);
        var incremental = await HarvestAsync(client, [organizations, $"metadata_modified:[{since}Z TO *]"], rows: 2);
        var oneOrganization = await HarvestAsync(client, [$"-organization:{other}", $"metadata_modified:[{since}Z TO *]", $"organization:{organization}"], rows: 100);

        Assert.Equal(before.Concat(after).Order(StringComparer.Ordinal), full);
        Assert.Equal(after.Order(StringComparer.Ordinal), incremental);
        Assert.Equal(after.Where(id => id != after[0]).Order(StringComparer.Ordinal), oneOrganization);
    }

    [Fact]
    public async Task The_harvester_maps_a_packages_organization_and_groups_by_their_CKAN_names()
    {
        var id = CatalogTestData.NewId();
        var word = CatalogTestData.NewWord();
        var theme = $"Kinh tế & Tài chính {word}";
        var organization = "so-tai-chinh-" + word;
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata(themes: [theme, "Dân cư"], publisherId: organization, publisherName: "Sở Tài chính"));
        }

        using var client = platform.CreateGatewayClient();
        var package = (await HarvestPagesAsync(client, [$"organization:{organization}"], 100)).Single();
        var group = package.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("title").GetString() == theme);
        var groupName = group.GetProperty("name").GetString()!;
        var shownGroup = (await client.JsonAsync($"/api/3/action/group_show?id={groupName}")).GetProperty("result");
        var byId = (await client.JsonAsync($"/api/3/action/group_show?id={group.GetProperty("id").GetString()}")).GetProperty("result");
        var shownOrganization = (await client.JsonAsync($"/api/3/action/organization_show?id={package.GetProperty("owner_org").GetString()}")).GetProperty("result");
        var filtered = await HarvestAsync(client, [$"groups:{groupName}"], 100);

        Assert.All(package.GetProperty("groups").EnumerateArray(), g =>
        {
            Assert.Matches(_ckanName, g.GetProperty("name").GetString()!);
            Assert.Equal(g.GetProperty("name").GetString(), g.GetProperty("id").GetString());
        });
        Assert.Equal($"kinh-te-tai-chinh-{word}", groupName);
        Assert.Equal(theme, group.GetProperty("display_name").GetString());
        Assert.Equal(theme, shownGroup.GetProperty("title").GetString());
        Assert.Equal(groupName, byId.GetProperty("name").GetString());
        Assert.Equal(1, shownGroup.GetProperty("package_count").GetInt32());
        Assert.Equal(organization, shownOrganization.GetProperty("name").GetString());
        Assert.Equal("Sở Tài chính", shownOrganization.GetProperty("title").GetString());
        Assert.True(shownOrganization.GetProperty("is_organization").GetBoolean());
        Assert.Equal([id], filtered);
    }

    /// <summary>The ids the harvester's paging collects, as <c>_search_for_datasets</c> pages: rows at a time until an empty page.</summary>
    static async Task<List<string>> HarvestAsync(HttpClient client, string[] fqTerms, int rows) =>
        (await HarvestPagesAsync(client, fqTerms, rows)).Select(p => p.GetProperty("id").GetString()!).ToList();

    static async Task<List<JsonElement>> HarvestPagesAsync(HttpClient client, string[] fqTerms, int rows)
    {
        var packages = new List<JsonElement>();
        for (var start = 0; ; start += rows)
        {
            // urllib's urlencode: spaces as '+', ':' '[' ']' '*' percent-encoded.
            var query = $"rows={rows}&start={start}&sort=id+asc&fq={Uri.EscapeDataString(string.Join(' ', fqTerms)).Replace("%20", "+", StringComparison.Ordinal)}";
            var page = (await client.JsonAsync("/api/3/action/package_search?" + query)).GetProperty("result").GetProperty("results");
            if (page.GetArrayLength() == 0)
            {
                return packages;
            }

            packages.AddRange(page.EnumerateArray().Select(p => p.Clone()));
            Assert.True(packages.Count < 1000, "the paging did not end");
        }
    }

    /// <summary>What ckanapi's <c>RemoteCKAN(address).call_action(name, data_dict)</c> sends, and what it returns.</summary>
    static async Task<JsonElement> CallActionAsync(HttpClient client, string action, object dataDict)
    {
        // json.dumps(data_dict).encode('ascii'): every non-ASCII character escaped.
        var body = Encoding.ASCII.GetBytes(JsonSerializer.Serialize(dataDict));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/action/" + action) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.UserAgent.ParseAdd(CkanapiUserAgent);
        using var response = await client.SendAsync(request);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK && reply.GetProperty("success").GetBoolean(), $"{action}: {(int)response.StatusCode} {reply}");
        return reply.GetProperty("result").Clone();
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class CkanClientRequestTests_Embedded(CatalogEmbeddedFixture platform) : CkanClientRequestTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class CkanClientRequestTests_Production(CatalogProductionFixture platform) : CkanClientRequestTests(platform);
