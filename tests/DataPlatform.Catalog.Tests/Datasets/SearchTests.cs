using System.Text.Json;

namespace DataPlatform.Catalog.Tests.Datasets;

/// <summary>Search over both languages that ignores diacritics, with facets and paging.</summary>
public abstract class SearchTests(CatalogPlatformFixture platform)
{
    [Theory]
    [InlineData("ha noi")]
    [InlineData("Hà Nội")]
    [InlineData("HA NOI")]
    [InlineData("dan so")]
    [InlineData("dân số")]
    [InlineData("population hanoi")]
    public async Task Search_finds_Vietnamese_text_with_or_without_diacritics(string query)
    {
        var word = CatalogTestData.NewWord();
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(titleVi: $"Dân số Hà Nội {word}", titleEn: $"Population of Hanoi {word}", keywords: ["đô thị"]));

        var result = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets?q={Uri.EscapeDataString(query + " " + word)}");

        Assert.Equal(1, result.GetProperty("total").GetInt64());
        Assert.Equal(id, result.GetProperty("items")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task D_with_stroke_folds_to_d_and_keywords_are_searched()
    {
        var word = CatalogTestData.NewWord();
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(titleVi: "Thống kê " + word, keywords: ["Đồng Nai", "đô thị"]));

        var result = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets?q=dong+nai+do+thi+{word}");

        Assert.Equal(id, result.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetString());
    }

    [Fact]
    public async Task Matches_in_the_title_rank_above_keywords_and_keywords_above_descriptions()
    {
        var word = CatalogTestData.NewWord();
        using var publisher = platform.Publisher();
        var inTitle = CatalogTestData.NewId();
        await publisher.CreateAsync(inTitle, CatalogTestData.Metadata(titleVi: $"Cán bộ {word} theo tỉnh", titleEn: $"Officials {word} by province"));
        var inKeywords = CatalogTestData.NewId();
        await publisher.CreateAsync(inKeywords, CatalogTestData.Metadata(titleVi: "Hồ sơ lưu trữ", titleEn: "Archive holdings", keywords: [$"cán bộ {word}"]));
        // Written last, so it is the most recently modified: only relevance can put it last.
        var inDescription = CatalogTestData.NewId();
        var metadata = CatalogTestData.Metadata(titleVi: "Chỉ số hài lòng", titleEn: "Satisfaction index");
        metadata["description"] = new System.Text.Json.Nodes.JsonObject { ["vi"] = $"Khảo sát cán bộ {word}", ["en"] = $"Survey of officials {word}" };
        await publisher.CreateAsync(inDescription, metadata);

        var result = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets?q=can+bo+{word}");

        Assert.Equal([inTitle, inKeywords, inDescription], result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Facets_count_publishers_themes_access_levels_and_licences_of_the_matches()
    {
        var word = CatalogTestData.NewWord();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(CatalogTestData.NewId(), CatalogTestData.Metadata(titleVi: word, publisherId: "so-a", publisherName: "Sở A", themes: ["Dân cư", "Y tế"]));
        await publisher.CreateAsync(CatalogTestData.NewId(), CatalogTestData.Metadata(titleVi: word, publisherId: "so-a", publisherName: "Sở A", themes: ["Dân cư"], licence: "ODC-BY"));
        await publisher.CreateAsync(CatalogTestData.NewId(), CatalogTestData.Metadata(titleVi: word, publisherId: "so-b", publisherName: "Sở B", access: "paid", productId: "hr-analytics"));
        using var reader = platform.CreateGatewayClient();

        var all = await reader.JsonAsync($"/api/v1/datasets?q={word}");
        var onlyB = await reader.JsonAsync($"/api/v1/datasets?q={word}&publisher=so-b");

        Assert.Equal(3, all.GetProperty("total").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["so-a"] = 2, ["so-b"] = 1 }, Facet(all, "publisher"));
        Assert.Equal("Sở A", all.GetProperty("facets").GetProperty("publisher")[0].GetProperty("label").GetString());
        Assert.Equal(new Dictionary<string, long> { ["Dân cư"] = 3, ["Y tế"] = 1 }, Facet(all, "theme"));
        Assert.Equal(new Dictionary<string, long> { ["open"] = 2, ["paid"] = 1 }, Facet(all, "accessLevel"));
        Assert.Equal(new Dictionary<string, long> { ["CC-BY-4.0"] = 2, ["ODC-BY"] = 1 }, Facet(all, "licence"));
        Assert.Equal(1, onlyB.GetProperty("total").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["paid"] = 1 }, Facet(onlyB, "accessLevel"));
        // The publisher facet ignores its own filter, so the other choices stay visible.
        Assert.Equal(new Dictionary<string, long> { ["so-a"] = 2, ["so-b"] = 1 }, Facet(onlyB, "publisher"));
    }

    [Fact]
    public async Task Keyword_and_format_facets_filter_and_count_the_matches()
    {
        var word = CatalogTestData.NewWord();
        using var publisher = platform.Publisher();
        var published = CatalogTestData.NewId();
        await publisher.CreateAsync(published, CatalogTestData.Metadata(titleVi: word, keywords: ["biên chế", "công chức"]));
        await publisher.PublishOkAsync(published, "tinh,so\nHà Nội,1\n");
        await publisher.CreateAsync(CatalogTestData.NewId(), CatalogTestData.Metadata(titleVi: word, keywords: ["công chức"]));
        using var reader = platform.CreateGatewayClient();

        var all = await reader.JsonAsync($"/api/v1/datasets?q={word}");
        var officials = await reader.JsonAsync($"/api/v1/datasets?q={word}&keyword={Uri.EscapeDataString("biên chế")}");
        var downloadable = await reader.JsonAsync($"/api/v1/datasets?q={word}&format=csv");

        Assert.Equal(new Dictionary<string, long> { ["công chức"] = 2, ["biên chế"] = 1 }, Facet(all, "keyword"));
        // Only the published dataset has files to download, in every format.
        Assert.Equal(new Dictionary<string, long> { ["csv"] = 1, ["json"] = 1, ["ndjson"] = 1, ["parquet"] = 1, ["xlsx"] = 1 }, Facet(all, "format"));
        Assert.Equal(published, officials.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetString());
        Assert.Equal(published, downloadable.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetString());
    }

    [Fact]
    public async Task Results_sort_by_title_in_either_language_by_last_update_and_by_downloads()
    {
        var word = CatalogTestData.NewWord();
        using var publisher = platform.Publisher();
        var hue = CatalogTestData.NewId();
        await publisher.CreateAsync(hue, CatalogTestData.Metadata(titleVi: $"Huế {word}", titleEn: $"Zeta {word}"));
        await publisher.PublishOkAsync(hue, "a\n1\n");
        var angiang = CatalogTestData.NewId();
        await publisher.CreateAsync(angiang, CatalogTestData.Metadata(titleVi: $"Ân Giang {word}", titleEn: $"Omega {word}"));
        await publisher.PublishOkAsync(angiang, "a\n1\n");
        var danang = CatalogTestData.NewId();
        await publisher.CreateAsync(danang, CatalogTestData.Metadata(titleVi: $"Đà Nẵng {word}", titleEn: $"Alpha {word}"));
        using var reader = platform.CreateGatewayClient();

        // Two downloads of Huế, one of Ân Giang; a HEAD and a digest are not downloads.
        for (var i = 0; i < 2; i++)
        {
            using var file = await reader.GetAsync($"/api/v1/datasets/{hue}/download.csv");
            Assert.Equal(System.Net.HttpStatusCode.OK, file.StatusCode);
        }

        using (var once = await reader.GetAsync($"/api/v1/datasets/{angiang}/download.json"))
        using (var head = await reader.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/v1/datasets/{angiang}/download.csv")))
        using (var digest = await reader.GetAsync($"/api/v1/datasets/{angiang}/download.csv.sha256"))
        {
            Assert.All([once, head, digest], r => Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode));
        }

        // Counts are written in batches, every few seconds.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement hueEntry;
        do
        {
            await Task.Delay(250);
            hueEntry = await reader.JsonAsync($"/api/v1/datasets/{hue}");
        }
        while (hueEntry.GetProperty("downloads").GetInt64() < 2 && DateTime.UtcNow < deadline);

        var angiangEntry = await reader.JsonAsync($"/api/v1/datasets/{angiang}");
        Assert.Equal(2, hueEntry.GetProperty("downloads").GetInt64());
        Assert.Equal(1, angiangEntry.GetProperty("downloads").GetInt64());
        Assert.Equal([hue, angiang, danang], await Ids(reader, $"/api/v1/datasets?q={word}&sort=downloads"));
        // Diacritics do not count in the order: Ân sorts with A, Đ with D.
        Assert.Equal([angiang, danang, hue], await Ids(reader, $"/api/v1/datasets?q={word}&sort=title"));
        Assert.Equal([danang, angiang, hue], await Ids(reader, $"/api/v1/datasets?q={word}&sort=title&lang=en"));
        Assert.Equal([danang, angiang, hue], await Ids(reader, $"/api/v1/datasets?q={word}&sort=modified"));

        using var unknown = await reader.GetAsync($"/api/v1/datasets?q={word}&sort=popularity");
        var problem = await unknown.ProblemAsync(400);
        Assert.Contains("relevance, modified, title, downloads", problem.GetProperty("detail").GetString());
    }

    static async Task<string[]> Ids(HttpClient reader, string path) =>
        [.. (await reader.JsonAsync(path)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];

    [Fact]
    public async Task Results_are_paged()
    {
        var word = CatalogTestData.NewWord();
        using var publisher = platform.Publisher();
        for (var i = 0; i < 5; i++)
        {
            await publisher.CreateAsync(CatalogTestData.NewId(), CatalogTestData.Metadata(titleVi: word));
        }

        using var reader = platform.CreateGatewayClient();
        var first = await reader.JsonAsync($"/api/v1/datasets?q={word}&limit=2");
        var third = await reader.JsonAsync($"/api/v1/datasets?q={word}&limit=2&offset=4");

        Assert.Equal(5, first.GetProperty("total").GetInt64());
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        Assert.Equal(1, third.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Restricted_datasets_are_invisible_without_their_entitlement()
    {
        var word = CatalogTestData.NewWord();
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(titleVi: word, access: "restricted"));
        using var anonymous = platform.CreateGatewayClient();
        using var entitled = platform.Entitled($"dataset:{id}");

        var hidden = await anonymous.JsonAsync($"/api/v1/datasets?q={word}");
        using var notFound = await anonymous.GetAsync($"/api/v1/datasets/{id}");
        var visible = await entitled.JsonAsync($"/api/v1/datasets?q={word}");

        Assert.Equal(0, hidden.GetProperty("total").GetInt64());
        Assert.Empty(hidden.GetProperty("facets").GetProperty("accessLevel").EnumerateArray());
        await notFound.ProblemAsync(404);
        Assert.Equal(id, visible.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.Equal(id, (await entitled.JsonAsync($"/api/v1/datasets/{id}")).GetProperty("id").GetString());
    }

    static Dictionary<string, long> Facet(JsonElement result, string name) =>
        result.GetProperty("facets").GetProperty(name).EnumerateArray().ToDictionary(v => v.GetProperty("value").GetString()!, v => v.GetProperty("count").GetInt64());
}

[Collection(EmbeddedCollection.Name)]
public sealed class SearchTests_Embedded(CatalogEmbeddedFixture platform) : SearchTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class SearchTests_Production(CatalogProductionFixture platform) : SearchTests(platform);
