using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml;
using DataPlatform.Catalog.Tests.GraphQL;
using Microsoft.OData.Edm;
using Microsoft.OData.Edm.Csdl;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// End to end: a publisher posts CSVs through the catalog's publishing API, and a developer queries them through
/// the gateway with OData and GraphQL, with no test stand-in between the store and the query core.
/// </summary>
public abstract class PublishedDatasetQueryTests(CatalogPlatformFixture platform)
{
    sealed record Province(string Code, string Name, string Region, long Population, string CitizenId);

    static readonly Province[] _provinces =
    [
        new("01", "Hà Nội", "Đồng bằng sông Hồng", 8587100, "001000000001"),
        new("31", "Hải Phòng", "Đồng bằng sông Hồng", 2130000, "031000000002"),
        new("48", "Đà Nẵng", "Duyên hải miền Trung", 1245000, "048000000003"),
        new("46", "Huế", "Duyên hải miền Trung", 1160000, "046000000004"),
        new("79", "Thành phố Hồ Chí Minh", "Đông Nam Bộ", 9521800, "079000000005"),
        new("92", "Cần Thơ", "Đồng bằng sông Cửu Long", 1260000, "092000000006"),
    ];

    static string Csv(IEnumerable<Province> provinces) =>
        "ma_tinh,ten,vung,Dân số,so_cccd\n" + string.Concat(provinces.Select(p => $"{p.Code},{p.Name},{p.Region},{p.Population},{p.CitizenId}\n"));

    async Task<string> PublishAsync(IEnumerable<Province> provinces, string? id = null)
    {
        id ??= CatalogTestData.NewId("q");
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns:
        [
            CatalogTestData.Column("ma_tinh", key: true),
            CatalogTestData.Column("so_cccd", sensitivity: "personal"),
        ]));
        await publisher.PublishOkAsync(id, Csv(provinces));
        return id;
    }

    [Fact]
    public async Task A_published_csv_answers_OData_and_GraphQL_through_the_gateway_alike()
    {
        var id = await PublishAsync(_provinces);
        using var client = platform.CreateGatewayClient();
        var field = id.Replace('-', '_');

        var csdl = await client.GetStringAsync($"/odata/{id}/$metadata");
        var rows = await client.GetFromJsonAsync<JsonElement>($"/odata/{id}/Records?$filter=dan_so gt 2000000&$orderby=dan_so desc&$select=ma_tinh,ten&$count=true");
        var one = await client.GetFromJsonAsync<JsonElement>($"/odata/{id}/Records('48')");
        var groups = await client.GetFromJsonAsync<JsonElement>($"/odata/{id}/Records?$apply=groupby((vung),aggregate(dan_so with sum as tong))&$orderby=tong desc");
        var (_, graph, _) = await GraphQLEndpointTests.PostAsync(client, $$"""
            { {{field}}(where: { dan_so: { gt: 2000000 } }, orderBy: [{ field: dan_so, direction: DESC }]) {
                totalCount nodes { ma_tinh ten } aggregate(groupBy: [vung]) { key { vung } sum { dan_so } } } }
            """);

        var record = (IEdmEntityType)Read(csdl).FindDeclaredType("DataPlatform.Record");
        Assert.Equal(["ma_tinh"], record.Key().Select(k => k.Name));
        Assert.Null(record.FindProperty("so_cccd"));
        Assert.Equal(EdmPrimitiveTypeKind.Int64, record.FindProperty("dan_so").Type.PrimitiveKind());
        var large = _provinces.Where(p => p.Population > 2_000_000).OrderByDescending(p => p.Population).ToList();
        Assert.Equal(large.Count, rows.GetProperty("@odata.count").GetInt64());
        Assert.Equal(large.Select(p => p.Name), rows.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("ten").GetString()));
        Assert.Equal("Đà Nẵng", one.GetProperty("ten").GetString());
        Assert.Equal(1245000, one.GetProperty("dan_so").GetInt64());
        Assert.False(one.TryGetProperty("so_cccd", out _));
        var regions = _provinces.GroupBy(p => p.Region).Select(g => (Region: g.Key, Total: g.Sum(p => p.Population))).OrderByDescending(g => g.Total).ToList();
        Assert.Equal(regions.Select(r => r.Region), groups.GetProperty("value").EnumerateArray().Select(g => g.GetProperty("vung").GetString()));
        Assert.Equal(regions.Select(r => r.Total), groups.GetProperty("value").EnumerateArray().Select(g => g.GetProperty("tong").GetInt64()));

        Assert.False(graph.TryGetProperty("errors", out var errors), errors.ToString());
        var connection = graph.GetProperty("data").GetProperty(field);
        Assert.Equal(large.Count, connection.GetProperty("totalCount").GetInt64());
        Assert.Equal(large.Select(p => p.Code), connection.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("ma_tinh").GetString()));
        var graphGroups = connection.GetProperty("aggregate").EnumerateArray()
            .ToDictionary(g => g.GetProperty("key").GetProperty("vung").GetString()!, g => g.GetProperty("sum").GetProperty("dan_so").GetInt64());
        var expectedGroups = large.GroupBy(p => p.Region).ToDictionary(g => g.Key, g => g.Sum(p => p.Population));
        Assert.Equal(expectedGroups.OrderBy(g => g.Key, StringComparer.Ordinal), graphGroups.OrderBy(g => g.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_GraphQL_schema_follows_each_publish_without_a_restart()
    {
        var id = CatalogTestData.NewId("q");
        var field = id.Replace('-', '_');
        using var client = platform.CreateGatewayClient();
        var query = $"{{ {field}(orderBy: [{{ field: ma_tinh }}]) {{ totalCount nodes {{ ma_tinh ten }} }} }}";

        var (_, before, _) = await GraphQLEndpointTests.PostAsync(client, query);
        await PublishAsync(_provinces.Take(2), id);
        var (_, first, _) = await GraphQLEndpointTests.PostAsync(client, query);
        var firstCount = await client.GetStringAsync($"/odata/{id}/Records/$count");
        using (var publisher = platform.Publisher())
        {
            // The second version adds a column, which the schema must offer at once.
            await publisher.PublishOkAsync(id, "ma_tinh,ten,vung,Dân số,so_cccd,dien_tich\n" + string.Concat(_provinces.Select(p => $"{p.Code},{p.Name},{p.Region},{p.Population},{p.CitizenId},{p.Population / 1000}.5\n")));
        }

        var (_, second, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field}(where: {{ dien_tich: {{ gt: 5000 }} }}) {{ totalCount nodes {{ ten dien_tich }} }} }}");
        var (_, listed, _) = await GraphQLEndpointTests.PostAsync(client, "{ datasets { id version rowCount field } }");
        var secondCount = await client.GetStringAsync($"/odata/{id}/Records/$count");
        var widest = await client.GetFromJsonAsync<JsonElement>($"/odata/{id}/Records?$orderby=dien_tich desc&$top=1&$select=ten,dien_tich");

        Assert.Contains(field, before.GetProperty("errors")[0].GetProperty("message").GetString());
        Assert.False(first.TryGetProperty("errors", out var firstErrors), firstErrors.ToString());
        Assert.Equal(2, first.GetProperty("data").GetProperty(field).GetProperty("totalCount").GetInt64());
        Assert.Equal(["Hà Nội", "Hải Phòng"], first.GetProperty("data").GetProperty(field).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("ten").GetString()));
        Assert.False(second.TryGetProperty("errors", out var secondErrors), secondErrors.ToString());
        var wide = _provinces.Where(p => p.Population / 1000 + 0.5m > 5000).ToList();
        Assert.Equal(wide.Count, second.GetProperty("data").GetProperty(field).GetProperty("totalCount").GetInt64());
        Assert.Equal(wide.Select(p => p.Population / 1000 + 0.5m).Order(), second.GetProperty("data").GetProperty(field).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("dien_tich").GetDecimal()).Order());
        var entry = listed.GetProperty("data").GetProperty("datasets").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);
        Assert.Equal(2, entry.GetProperty("version").GetInt32());
        Assert.Equal(_provinces.Length, entry.GetProperty("rowCount").GetInt64());
        Assert.Equal(field, entry.GetProperty("field").GetString());
        // OData's view of the dataset (cached between publishes) moves to the new version at once as well.
        Assert.Equal("2", firstCount);
        Assert.Equal(_provinces.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), secondCount);
        Assert.Equal("Thành phố Hồ Chí Minh", widest.GetProperty("value")[0].GetProperty("ten").GetString());
        Assert.Equal(9521.5m, widest.GetProperty("value")[0].GetProperty("dien_tich").GetDecimal());
    }

    [Fact]
    public async Task A_paid_dataset_cannot_be_read_through_GraphQL_at_the_gateway_without_a_key()
    {
        var id = CatalogTestData.NewId("q");
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata(access: "paid", productId: "hr-analytics", columns: [CatalogTestData.Column("ma_tinh", key: true)]));
            await publisher.PublishOkAsync(id, Csv(_provinces));
        }

        using var client = platform.CreateGatewayClient();
        var field = id.Replace('-', '_');

        var (_, body, raw) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field} {{ totalCount nodes {{ ten dan_so }} }} }}");
        using var odata = await client.GetAsync($"/odata/{id}/Records");

        Assert.Equal("AUTHENTICATION_REQUIRED", body.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        Assert.DoesNotContain("Hà Nội", raw);
        Assert.Equal(HttpStatusCode.Unauthorized, odata.StatusCode);
    }

    [Fact]
    public async Task A_key_that_no_row_holds_is_an_OData_404_through_the_gateway()
    {
        var id = await PublishAsync(_provinces.Take(1));
        using var client = platform.CreateGatewayClient();

        using var response = await client.GetAsync($"/odata/{id}/Records('99')");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("RecordNotFound", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
    }

    static IEdmModel Read(string csdl)
    {
        using var reader = XmlReader.Create(new StringReader(csdl));
        Assert.True(CsdlReader.TryParse(reader, out var model, out var errors), string.Join("; ", errors));
        return model;
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PublishedDatasetQueryTests_Embedded(CatalogEmbeddedFixture platform) : PublishedDatasetQueryTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PublishedDatasetQueryTests_Production(CatalogProductionFixture platform) : PublishedDatasetQueryTests(platform);
