using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPlatform.Catalog.Tests.Ckan;

/// <summary>Clients written for CKAN's Action API read the catalog unchanged.</summary>
public abstract class CkanTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task Package_show_returns_a_CKAN_package_in_the_envelope()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(keywords: ["dân số", "đô thị"], themes: ["Dân cư"]));
        await publisher.PublishOkAsync(id, "a\n1\n");

        var reply = await platform.CreateGatewayClient().JsonAsync($"/api/3/action/package_show?id={id}");

        Assert.True(reply.GetProperty("success").GetBoolean());
        Assert.Contains("package_show", reply.GetProperty("help").GetString());
        var package = reply.GetProperty("result");
        Assert.Equal(id, package.GetProperty("name").GetString());
        Assert.Equal("Dân số Hà Nội", package.GetProperty("title").GetString());
        Assert.Equal("Mô tả: Dân số Hà Nội", package.GetProperty("notes").GetString());
        Assert.Equal("CC-BY-4.0", package.GetProperty("license_id").GetString());
        Assert.Equal("vu-thu-nghiem", package.GetProperty("organization").GetProperty("name").GetString());
        Assert.Equal(["dân số", "đô thị"], package.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(3, package.GetProperty("num_resources").GetInt32());
        Assert.Contains(package.GetProperty("resources").EnumerateArray(), r => r.GetProperty("format").GetString() == "CSV"
            && r.GetProperty("url").GetString()!.EndsWith($"/api/v1/datasets/{id}/download.csv", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Package_search_takes_q_fq_rows_and_start()
    {
        var word = CatalogTestData.NewWord();
        using var publisher = platform.Publisher();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(CatalogTestData.NewId());
            await publisher.CreateAsync(ids[^1], CatalogTestData.Metadata(titleVi: $"Cán bộ {word}", publisherId: i == 0 ? "so-noi-vu-hue" : "so-noi-vu-can-tho"));
        }

        using var reader = platform.CreateGatewayClient();
        var all = (await reader.JsonAsync($"/api/3/action/package_search?q=can+bo+{word}&facet.field=[\"organization\"]")).GetProperty("result");
        var filtered = (await reader.JsonAsync($"/api/3/action/package_search?q={word}&fq=organization:so-noi-vu-can-tho&rows=1&start=1")).GetProperty("result");

        Assert.Equal(3, all.GetProperty("count").GetInt64());
        Assert.Equal(3, all.GetProperty("results").GetArrayLength());
        Assert.Equal(2, all.GetProperty("facets").GetProperty("organization").GetProperty("so-noi-vu-can-tho").GetInt64());
        Assert.Equal(2, filtered.GetProperty("count").GetInt64());
        var only = filtered.GetProperty("results").EnumerateArray().Single();
        Assert.Equal("so-noi-vu-can-tho", only.GetProperty("organization").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Package_list_and_organization_list_name_visible_datasets_and_publishers()
    {
        var open = CatalogTestData.NewId();
        var hidden = CatalogTestData.NewId();
        var organization = "to-chuc-" + CatalogTestData.NewWord();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(open, CatalogTestData.Metadata(publisherId: organization));
        await publisher.CreateAsync(hidden, CatalogTestData.Metadata(access: "restricted", publisherId: "an-" + organization));
        using var reader = platform.CreateGatewayClient();

        var packages = (await reader.JsonAsync("/api/3/action/package_list")).GetProperty("result").EnumerateArray().Select(p => p.GetString()).ToList();
        var organizations = (await reader.JsonAsync("/api/3/action/organization_list")).GetProperty("result").EnumerateArray().Select(o => o.GetString()).ToList();
        var detailed = (await reader.JsonAsync("/api/3/action/organization_list?all_fields=true")).GetProperty("result").EnumerateArray()
            .Single(o => o.GetProperty("name").GetString() == organization);

        Assert.Contains(open, packages);
        Assert.DoesNotContain(hidden, packages);
        Assert.Equal(packages.Order(StringComparer.Ordinal), packages);
        Assert.Contains(organization, organizations);
        Assert.DoesNotContain("an-" + organization, organizations);
        Assert.Equal(1, detailed.GetProperty("package_count").GetInt32());
    }

    [Theory]
    [InlineData("/api/3/action/package_show?id=khong-co-bo-nay", 404, "Not Found Error")]
    [InlineData("/api/3/action/package_show", 409, "Validation Error")]
    [InlineData("/api/3/action/package_search?rows=abc", 409, "Validation Error")]
    [InlineData("/api/3/action/package_search?fq=nonsense:1", 409, "Search Query Error")]
    [InlineData("/api/3/action/package_create", 400, "Bad Request")]
    public async Task Errors_use_CKANs_envelope_and_status_codes(string path, int status, string type)
    {
        using var response = await platform.CreateGatewayClient().GetAsync(path);

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(reply.GetProperty("success").GetBoolean());
        Assert.Equal(type, reply.GetProperty("error").GetProperty("__type").GetString());
        Assert.True(reply.TryGetProperty("help", out _));
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class CkanTests_Embedded(CatalogEmbeddedFixture platform) : CkanTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class CkanTests_Production(CatalogProductionFixture platform) : CkanTests(platform);
