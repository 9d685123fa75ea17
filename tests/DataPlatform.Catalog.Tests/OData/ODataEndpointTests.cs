using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml;
using DataPlatform.Catalog.Query;
using DataPlatform.Catalog.Tests.Query;
using DataPlatform.Contracts.Access;
using Microsoft.OData.Edm;
using Microsoft.OData.Edm.Csdl;
using Microsoft.OData.Edm.Validation;

namespace DataPlatform.Catalog.Tests.OData;

/// <summary>The OData endpoint over real tables, through a real catalog host, as a client sees it.</summary>
public abstract class ODataEndpointTests(PlatformFixture platform)
{
    static readonly Contracts.ConsumerContext.ConsumerContext _developer = PlatformFixture.Consumer("acct-developer");

    static Contracts.ConsumerContext.ConsumerContext Entitled(QueryableDataset dataset) =>
        _developer with { Entitlements = [dataset.Entitlement] };

    async Task<(CatalogWithDatasets Catalog, QueryableDataset Dataset)> StartAsync(AccessLevel access = AccessLevel.Open)
    {
        var dataset = await PeopleTable.CreateAsync(platform, access: access);
        return (await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset)), dataset);
    }

    [Fact]
    public async Task The_service_document_lists_the_Records_entity_set()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        var document = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/");

        Assert.EndsWith($"/odata/{dataset.Id}/$metadata", document.GetProperty("@odata.context").GetString());
        var set = Assert.Single(document.GetProperty("value").EnumerateArray());
        Assert.Equal("Records", set.GetProperty("url").GetString());
    }

    [Fact]
    public async Task Metadata_loads_and_validates_in_the_CSDL_reader_and_hides_personal_columns_from_the_unentitled()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var anonymous = catalog.Client();
        using var entitled = catalog.Client(Entitled(dataset));

        var publicModel = Read(await anonymous.GetStringAsync($"/odata/{dataset.Id}/$metadata"));
        var fullModel = Read(await entitled.GetStringAsync($"/odata/{dataset.Id}/$metadata"));

        var record = (IEdmEntityType)publicModel.FindDeclaredType("DataPlatform.Record");
        Assert.Equal(["code"], record.Key().Select(k => k.Name));
        Assert.Null(record.FindProperty("citizen_id"));
        Assert.Equal(EdmPrimitiveTypeKind.Date, record.FindProperty("born").Type.PrimitiveKind());
        Assert.NotNull(((IEdmEntityType)fullModel.FindDeclaredType("DataPlatform.Record")).FindProperty("citizen_id"));
        Assert.NotNull(publicModel.EntityContainer.FindEntitySet("Records"));
    }

    [Fact]
    public async Task Metadata_is_served_as_CSDL_JSON_when_format_asks()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        var bytes = await client.GetByteArrayAsync($"/odata/{dataset.Id}/$metadata?$format=json");
        var csdl = JsonDocument.Parse(bytes).RootElement;

        var reader = new Utf8JsonReader(bytes);
        Assert.True(CsdlReader.TryParse(ref reader, out var model, out var errors), string.Join("; ", errors));
        Assert.True(model.Validate(out var validationErrors), string.Join("; ", validationErrors));
        Assert.Equal(["code"], ((IEdmEntityType)model.FindDeclaredType("DataPlatform.Record")).Key().Select(k => k.Name));
        var record = csdl.GetProperty("DataPlatform").GetProperty("Record");
        Assert.Equal("Edm.Int64", record.GetProperty("age").GetProperty("$Type").GetString());
        Assert.False(record.TryGetProperty("citizen_id", out var _));
    }

    [Fact]
    public async Task A_query_returns_minimal_metadata_json_with_readable_Vietnamese()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        using var response = await client.GetAsync($"/odata/{dataset.Id}/Records?$filter=startswith(name,'Nguyễn Văn')&$select=code,name,born&$orderby=code&$count=true");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("odata.metadata=minimal", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("\"Nguyễn Văn An\"", body);
        using var json = JsonDocument.Parse(body);
        var expected = PeopleTable.Rows.Where(p => p.Name?.StartsWith("Nguyễn Văn", StringComparison.Ordinal) == true).OrderBy(p => p.Code, StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Count, json.RootElement.GetProperty("@odata.count").GetInt64());
        Assert.Equal(expected.Select(p => p.Code), json.RootElement.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
        Assert.Equal("1986-03-15", json.RootElement.GetProperty("value")[0].GetProperty("born").GetString());
        Assert.EndsWith("$metadata#Records(code,name,born)", json.RootElement.GetProperty("@odata.context").GetString());
    }

    [Theory]
    [InlineData("$format=json", null, "minimal")]
    [InlineData("$format=application/json;odata.metadata=none", null, "none")]
    [InlineData("$format=application/json;odata.metadata=full", null, "full")]
    [InlineData("", "application/json;odata.metadata=none", "none")]
    public async Task Format_and_Accept_choose_the_metadata_level_and_every_level_keeps_the_next_link(string format, string? accept, string level)
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/odata/{dataset.Id}/Records?$select=code,age&$filter=code eq 'P001' or code eq 'P002'&{format}");
        request.Headers.Add("Prefer", "odata.maxpagesize=1");
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await client.SendAsync(request);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"odata.metadata={level}", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(level != "none", page.TryGetProperty("@odata.context", out var context));
        var row = Assert.Single(page.GetProperty("value").EnumerateArray());
        Assert.Equal("P001", row.GetProperty("code").GetString());
        Assert.Equal(level == "full", row.TryGetProperty("@odata.type", out var type));
        var next = page.GetProperty("@odata.nextLink").GetString()!;
        Assert.Equal(format.Length > 0, next.Contains("format=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Records?$format=xml")]
    [InlineData("Records?$format=atom")]
    [InlineData("$metadata?$format=yaml")]
    public async Task A_format_other_than_json_or_a_metadata_document_is_a_406_in_the_OData_error_format(string path)
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        using var response = await client.GetAsync($"/odata/{dataset.Id}/{path}");

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("UnsupportedFormat", error.GetProperty("code").GetString());
        Assert.Equal("$format", error.GetProperty("target").GetString());
    }

    [Fact]
    public async Task IEEE754_compatible_clients_get_64_bit_integers_and_decimals_as_strings()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/odata/{dataset.Id}/Records?$filter=code eq 'P001'&$select=age,income&$count=true");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;IEEE754Compatible=true");

        using var response = await client.SendAsync(request);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Contains("IEEE754Compatible=true", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("1", page.GetProperty("@odata.count").GetString());
        Assert.Equal("40", page.GetProperty("value")[0].GetProperty("age").GetString());
        Assert.Equal(15000.5m, decimal.Parse(page.GetProperty("value")[0].GetProperty("income").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Search_and_grouping_never_reach_a_personal_column_the_caller_may_not_see()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var stranger = catalog.Client(_developer);
        using var entitled = catalog.Client(Entitled(dataset));
        var search = $"/odata/{dataset.Id}/Records?$search=001086000001&$select=code";

        var hidden = await stranger.GetFromJsonAsync<JsonElement>(search);
        var found = await entitled.GetFromJsonAsync<JsonElement>(search);
        using var grouped = await stranger.GetAsync($"/odata/{dataset.Id}/Records?$apply=groupby((citizen_id))");

        Assert.Empty(hidden.GetProperty("value").EnumerateArray());
        Assert.Equal("P001", Assert.Single(found.GetProperty("value").EnumerateArray()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, grouped.StatusCode);
        Assert.Contains("citizen_id", (await grouped.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Server_driven_paging_honours_maxpagesize_and_next_links_visit_every_row_once()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        var codes = new List<string>();
        string? next = $"/odata/{dataset.Id}/Records?$orderby=age desc,name&$select=code&$filter=age ne null";
        var pages = 0;
        while (next is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            request.Headers.Add("Prefer", "odata.maxpagesize=9");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("odata.maxpagesize=9", response.Headers.GetValues("Preference-Applied").Single());
            var page = await response.Content.ReadFromJsonAsync<JsonElement>();
            codes.AddRange(page.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()!));
            next = page.TryGetProperty("@odata.nextLink", out var link) ? link.GetString() : null;
            Assert.True(next is null || (next.Contains("$skiptoken=", StringComparison.Ordinal) && !next.Contains("$skip=", StringComparison.Ordinal)));
            pages++;
        }

        var expected = PeopleTable.Rows.Where(p => p.Age is not null)
            .OrderByDescending(p => p.Age).ThenBy(p => p.Name is not null).ThenBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.RowId)
            .Select(p => p.Code).ToList();
        Assert.Equal(expected, codes);
        Assert.Equal((expected.Count + 8) / 9, pages);
    }

    [Fact]
    public async Task A_page_is_sent_with_its_length_when_small_and_in_parts_when_large_and_is_complete_either_way()
    {
        // Names of 200 letters make 2500 rows about 0.4 MB of JSON, more than the 256 KB the endpoint holds before
        // it starts sending.
        var people = Enumerable.Range(1, 2500)
            .Select(i => new Person(i, $"L{i:0000}", $"Nguyễn {new string('Đ', 200)} {i}", "Huế", i % 90, i * 1.5m, i % 2 == 0, null, null, null))
            .ToList();
        var dataset = await PeopleTable.CreateAsync(platform, people);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();

        // The headers as sent are read before the body: once buffered, a response reports the length it buffered.
        using var small = await client.GetAsync($"/odata/{dataset.Id}/Records?$top=5&$select=code,name", HttpCompletionOption.ResponseHeadersRead);
        var (smallLength, smallChunked) = (small.Content.Headers.ContentLength, small.Headers.TransferEncodingChunked);
        var smallBody = await small.Content.ReadAsByteArrayAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/odata/{dataset.Id}/Records?$select=code,name");
        request.Headers.Add("Prefer", "odata.maxpagesize=2500");
        using var large = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var (largeLength, largeChunked) = (large.Content.Headers.ContentLength, large.Headers.TransferEncodingChunked);
        var largeBody = await large.Content.ReadAsByteArrayAsync();

        Assert.Equal(smallBody.Length, smallLength);
        Assert.NotEqual(true, smallChunked);
        Assert.Equal(people.Take(5).Select(p => p.Code),
            JsonDocument.Parse(smallBody).RootElement.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
        Assert.True(largeBody.Length > 300 * 1024, $"{largeBody.Length} bytes");
        Assert.Null(largeLength);
        Assert.True(largeChunked);
        var rows = JsonDocument.Parse(largeBody).RootElement.GetProperty("value").EnumerateArray().ToList();
        Assert.Equal(people.Select(p => p.Code), rows.Select(r => r.GetProperty("code").GetString()));
        Assert.Equal(people[^1].Name, rows[^1].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Top_larger_than_a_page_is_served_across_pages_and_stops_at_top()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        var sizes = new List<int>();
        string? next = $"/odata/{dataset.Id}/Records?$top=10&$skip=2&$select=code";
        var codes = new List<string>();
        while (next is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            request.Headers.Add("Prefer", "odata.maxpagesize=4");
            var page = await (await client.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
            var rows = page.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()!).ToList();
            sizes.Add(rows.Count);
            codes.AddRange(rows);
            next = page.TryGetProperty("@odata.nextLink", out var link) ? link.GetString() : null;
        }

        Assert.Equal([4, 4, 2], sizes);
        Assert.Equal(PeopleTable.Rows.Skip(2).Take(10).Select(p => p.Code), codes);
    }

    [Fact]
    public async Task Count_is_served_as_text_and_without_a_filter_comes_from_the_stored_row_count()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        var all = await client.GetStringAsync($"/odata/{dataset.Id}/Records/$count");
        var filtered = await client.GetStringAsync($"/odata/{dataset.Id}/Records/$count?$filter=province eq 'Hà Nội'");

        Assert.Equal(dataset.RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture), all);
        Assert.Equal(PeopleTable.Rows.Count(p => p.Province == "Hà Nội").ToString(System.Globalization.CultureInfo.InvariantCulture), filtered);
    }

    [Fact]
    public async Task Aggregation_groups_and_sums_over_http()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        // Groups come in one response: a preferred page size smaller than their number is not applied, nor said to be.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/odata/{dataset.Id}/Records?$apply=groupby((province),aggregate(age with sum as years))&$orderby=province");
        request.Headers.Add("Prefer", "odata.maxpagesize=2");
        using var response = await client.SendAsync(request);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();

        var groups = result.GetProperty("value").EnumerateArray().ToList();
        Assert.Equal(6, groups.Count);
        Assert.False(response.Headers.Contains("Preference-Applied"));
        Assert.False(result.TryGetProperty("@odata.nextLink", out var next));
        var hanoi = groups.Single(g => g.GetProperty("province").GetString() == "Hà Nội");
        Assert.Equal(PeopleTable.Rows.Where(p => p.Province == "Hà Nội").Sum(p => p.Age), hanoi.GetProperty("years").GetInt64());
    }

    [Theory]
    [InlineData("$filter=nickname eq 'An'", "$filter", "nickname")]
    [InlineData("$filter=name eq 5", "$filter", "")]
    [InlineData("$orderby=salary", "$orderby", "salary")]
    [InlineData("$skiptoken=not-a-token", "$skiptoken", "")]
    [InlineData("$top=1000000", "$top", "at most")]
    [InlineData("$apply=groupby((nowhere))", "$apply", "nowhere")]
    [InlineData("$filter=citizen_id eq '001086000001'", "$filter", "citizen_id")]
    [InlineData("$expand=Parent", "$expand", "")]
    public async Task A_bad_query_is_a_400_in_the_OData_error_format_naming_the_wrong_part(string query, string target, string mentioned)
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        using var response = await client.GetAsync($"/odata/{dataset.Id}/Records?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal(target, error.GetProperty("target").GetString());
        Assert.Contains(mentioned, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_restricted_dataset_is_not_found_without_its_entitlement_and_served_with_it()
    {
        var (catalog, dataset) = await StartAsync(AccessLevel.Restricted);
        await using var _ = catalog;
        using var stranger = catalog.Client(_developer);
        using var entitled = catalog.Client(Entitled(dataset));

        using var hidden = await stranger.GetAsync($"/odata/{dataset.Id}/Records?$top=1");
        using var metadata = await stranger.GetAsync($"/odata/{dataset.Id}/$metadata");
        var served = await entitled.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$top=1&$select=code,citizen_id");

        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal("DatasetNotFound", (await hidden.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, metadata.StatusCode);
        Assert.Equal("001086000001", served.GetProperty("value")[0].GetProperty("citizen_id").GetString());
    }

    [Fact]
    public async Task Personal_columns_are_absent_from_results_of_callers_without_the_entitlement()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client(_developer);

        var result = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$top=3");

        Assert.All(result.GetProperty("value").EnumerateArray(), row =>
        {
            Assert.True(row.TryGetProperty("code", out var _));
            Assert.False(row.TryGetProperty("citizen_id", out var _));
        });
    }

    [Theory]
    [InlineData("Recordz")]
    [InlineData("Records('P001')/Parent")]
    public async Task An_unknown_path_under_a_dataset_is_a_404_in_the_OData_error_format_naming_it(string path)
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        using var response = await client.GetAsync($"/odata/{dataset.Id}/{path}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("ResourceNotFound", error.GetProperty("code").GetString());
        Assert.Contains(path, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_unknown_dataset_is_a_404_in_the_OData_error_format()
    {
        using var client = platform.CreateCatalogClient();

        using var response = await client.GetAsync($"/odata/no-such-{Guid.NewGuid():N}/Records");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("DatasetNotFound", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_record_is_found_by_its_key_in_either_key_syntax_and_a_missing_key_is_404()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();

        var byValue = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records('P001')");
        var byName = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records(code='P003')?$select=name,province");
        using var missing = await client.GetAsync($"/odata/{dataset.Id}/Records('P999')");
        using var mistyped = await client.GetAsync($"/odata/{dataset.Id}/Records(42)");

        Assert.EndsWith("$metadata#Records/$entity", byValue.GetProperty("@odata.context").GetString());
        Assert.Equal("Nguyễn Văn An", byValue.GetProperty("name").GetString());
        Assert.Equal(15000.50m, byValue.GetProperty("income").GetDecimal());
        Assert.False(byValue.TryGetProperty("citizen_id", out var _));
        Assert.Equal("ĐẶNG VĂN ĐỨC", byName.GetProperty("name").GetString());
        Assert.Equal("Đà Nẵng", byName.GetProperty("province").GetString());
        Assert.False(byName.TryGetProperty("code", out var _));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var notFound = (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("RecordNotFound", notFound.GetProperty("code").GetString());
        Assert.Contains("P999", notFound.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, mistyped.StatusCode);
        Assert.Equal("key", (await mistyped.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("target").GetString());
    }

    [Fact]
    public async Task A_dataset_without_key_columns_is_keyed_on_its_row_id()
    {
        var people = await PeopleTable.CreateAsync(platform);
        var dataset = people with { Columns = people.Columns.Select(c => c with { Key = false }).ToArray() };
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();

        var model = Read(await client.GetStringAsync($"/odata/{dataset.Id}/$metadata"));
        var record = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records(5)");
        using var wrongKey = await client.GetAsync($"/odata/{dataset.Id}/Records('P005')");

        Assert.Equal([QueryableDataset.RowIdColumn], ((IEdmEntityType)model.FindDeclaredType("DataPlatform.Record")).Key().Select(k => k.Name));
        Assert.Equal("P005", record.GetProperty("code").GetString());
        Assert.Equal(5, record.GetProperty(QueryableDataset.RowIdColumn).GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, wrongKey.StatusCode);
    }

    [Fact]
    public async Task A_restricted_record_is_404_to_the_unentitled_and_its_read_is_audited()
    {
        var (catalog, dataset) = await StartAsync(AccessLevel.Restricted);
        await using var _ = catalog;
        var reader = Entitled(dataset) with { ConsumerId = "acct-key-" + Guid.NewGuid().ToString("N")[..8] };
        using var stranger = catalog.Client(_developer);
        using var entitled = catalog.Client(reader);
        using var admin = catalog.Client(PlatformFixture.Consumer("acct-admin", Roles.Admin));

        using var denied = await stranger.GetAsync($"/odata/{dataset.Id}/Records('P002')");
        var record = await entitled.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records('P002')");
        var entries = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?consumerId={reader.ConsumerId}");

        Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
        Assert.Equal("001096000002", record.GetProperty("citizen_id").GetString());
        var entry = Assert.Single(entries.EnumerateArray());
        Assert.Equal(1, entry.GetProperty("rows").GetInt64());
        Assert.Contains("Records('P002')", Uri.UnescapeDataString(entry.GetProperty("query").GetString()!));
    }

    static IEdmModel Read(string csdl)
    {
        using var reader = XmlReader.Create(new StringReader(csdl));
        Assert.True(CsdlReader.TryParse(reader, out var model, out var errors), string.Join("; ", errors));
        Assert.True(model.Validate(out var validationErrors), string.Join("; ", validationErrors));
        return model;
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class ODataEndpointTests_Embedded(CatalogEmbeddedFixture platform) : ODataEndpointTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class ODataEndpointTests_Production(CatalogProductionFixture platform) : ODataEndpointTests(platform);
