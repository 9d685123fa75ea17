using System.Text.Json;

namespace DataPlatform.Catalog.Tests.Dcat;

/// <summary>The catalog in DCAT-AP 3 JSON-LD, as harvesters read it.</summary>
public abstract class DcatTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task A_dataset_document_has_the_mandatory_DCAT_AP_properties_and_three_distributions()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(titleVi: "Dân số Hà Nội", titleEn: "Population of Hanoi"));
        await publisher.PublishOkAsync(id, "a\n1\n");
        using var reader = platform.CreateGatewayClient();

        using var response = await reader.GetAsync($"/catalog/datasets/{id}.jsonld");

        Assert.Equal("application/ld+json", response.Content.Headers.ContentType?.MediaType);
        var dataset = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("http://www.w3.org/ns/dcat#", dataset.GetProperty("@context").GetProperty("dcat").GetString());
        Assert.Equal("dcat:Dataset", dataset.GetProperty("@type").GetString());
        Assert.Equal("Dân số Hà Nội", Literal(dataset.GetProperty("dct:title"), "vi"));
        Assert.Equal("Population of Hanoi", Literal(dataset.GetProperty("dct:title"), "en"));
        Assert.Equal("Mô tả: Dân số Hà Nội", Literal(dataset.GetProperty("dct:description"), "vi"));
        Assert.Equal("vu-thu-nghiem", dataset.GetProperty("dct:publisher").GetProperty("dct:identifier").GetString());
        Assert.Equal("Vụ Thử nghiệm", dataset.GetProperty("dct:publisher").GetProperty("foaf:name").GetString());
        var accessUrls = dataset.GetProperty("dcat:distribution").EnumerateArray()
            .Select(d => d.GetProperty("dcat:accessURL").GetProperty("@id").GetString()!).ToList();
        Assert.Equal(3, accessUrls.Count);
        Assert.Contains(accessUrls, u => u.EndsWith($"/odata/{id}", StringComparison.Ordinal));
        Assert.Contains(accessUrls, u => u.EndsWith("/graphql", StringComparison.Ordinal));
        Assert.Contains(accessUrls, u => u.EndsWith($"/api/v1/datasets/{id}/download.csv", StringComparison.Ordinal));
        Assert.StartsWith(platform.Platform.GatewayUrl.TrimEnd('/'), accessUrls[0]);
        Assert.Equal("http://publications.europa.eu/resource/authority/frequency/ANNUAL", dataset.GetProperty("dct:accrualPeriodicity").GetProperty("@id").GetString());
    }

    [Fact]
    public async Task The_catalog_is_paged_and_filters_by_modified_since()
    {
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(CatalogTestData.NewId(), CatalogTestData.Metadata());
        var since = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var first = CatalogTestData.NewId();
        var second = CatalogTestData.NewId();
        await publisher.CreateAsync(first, CatalogTestData.Metadata());
        await publisher.CreateAsync(second, CatalogTestData.Metadata());
        using var reader = platform.CreateGatewayClient();

        var page1 = await reader.JsonAsync($"/catalog.jsonld?pageSize=1&modified_since={Uri.EscapeDataString(since.ToString("O"))}");
        var next = page1.GetProperty("hydra:view").GetProperty("hydra:next").GetString()!;
        var page2 = await reader.JsonAsync(new Uri(next).PathAndQuery);

        Assert.Equal("dcat:Catalog", page1.GetProperty("@type").GetString());
        Assert.True(page1.TryGetProperty("dct:title", out _));
        Assert.True(page1.TryGetProperty("dct:publisher", out _));
        Assert.Equal(2, page1.GetProperty("hydra:totalItems").GetInt64());
        var ids = page1.GetProperty("dcat:dataset").EnumerateArray().Concat(page2.GetProperty("dcat:dataset").EnumerateArray())
            .Select(d => d.GetProperty("dct:identifier").GetString()).ToList();
        Assert.Equal([second, first], ids);
        Assert.False(page2.GetProperty("hydra:view").TryGetProperty("hydra:next", out _));
    }

    [Fact]
    public async Task Restricted_datasets_are_left_out_of_the_DCAT_catalog()
    {
        var id = CatalogTestData.NewId();
        var since = DateTimeOffset.UtcNow;
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(access: "restricted"));
        using var reader = platform.CreateGatewayClient();

        var catalog = await reader.JsonAsync($"/catalog.jsonld?modified_since={Uri.EscapeDataString(since.AddSeconds(-1).ToString("O"))}&pageSize=500");
        using var single = await reader.GetAsync($"/catalog/datasets/{id}.jsonld");

        Assert.DoesNotContain(catalog.GetProperty("dcat:dataset").EnumerateArray(), d => d.GetProperty("dct:identifier").GetString() == id);
        await single.ProblemAsync(404);
    }

    static string? Literal(JsonElement values, string language) =>
        values.EnumerateArray().Single(v => v.GetProperty("@language").GetString() == language).GetProperty("@value").GetString();
}

[Collection(EmbeddedCollection.Name)]
public sealed class DcatTests_Embedded(CatalogEmbeddedFixture platform) : DcatTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class DcatTests_Production(CatalogProductionFixture platform) : DcatTests(platform);
