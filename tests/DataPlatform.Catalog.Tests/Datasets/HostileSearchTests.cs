using System.Text.Json;

namespace DataPlatform.Catalog.Tests.Datasets;

/// <summary>
/// Search input that SQL would read as more than text: LIKE's wildcards and escape match only themselves, and
/// classic injection strings in any search parameter, the catalog's or CKAN's, give an ordinary answer or a
/// 4xx, never a 5xx, and change nothing.
/// </summary>
public abstract class HostileSearchTests(CatalogPlatformFixture platform)
{
    public static TheoryData<string> Injections => new()
    {
        "' OR 1=1 --",
        "\"; DROP TABLE datasets; --",
        "%' --",
        "') OR ('a'='a",
        "1; SELECT pg_sleep(5)",
        "\\' UNION SELECT id, metadata FROM datasets --",
    };

    [Theory]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("\\")]
    public async Task A_LIKE_wildcard_in_q_finds_only_the_datasets_that_contain_it(string character)
    {
        var word = CatalogTestData.NewWord();
        using var publisher = platform.Publisher();
        var with = CatalogTestData.NewId();
        await publisher.CreateAsync(with, CatalogTestData.Metadata(titleVi: $"Tỷ lệ 50{character}hộ {word}", titleEn: $"Share 50{character}of households {word}"));
        var without = CatalogTestData.NewId();
        await publisher.CreateAsync(without, CatalogTestData.Metadata(titleVi: $"Tỷ lệ hộ {word}", titleEn: $"Share of households {word}"));
        using var reader = platform.CreateGatewayClient();

        var narrowed = await reader.JsonAsync($"/api/v1/datasets?q={Uri.EscapeDataString(character + " " + word)}");
        var alone = await reader.JsonAsync($"/api/v1/datasets?q={Uri.EscapeDataString(character)}&limit=1000");
        var everything = await reader.JsonAsync("/api/v1/datasets?limit=1");

        Assert.Equal([with], Ids(narrowed));
        Assert.Contains(with, Ids(alone));
        Assert.DoesNotContain(without, Ids(alone));
        Assert.True(alone.GetProperty("total").GetInt64() < everything.GetProperty("total").GetInt64(),
            $"q={character} matched {alone.GetProperty("total")} of {everything.GetProperty("total")} datasets");
    }

    [Theory]
    [MemberData(nameof(Injections))]
    public async Task Injection_strings_in_every_catalog_search_parameter_are_only_text(string injection)
    {
        var (id, word) = await CreateWitnessAsync();
        using var reader = platform.CreateGatewayClient();
        var value = Uri.EscapeDataString(injection);

        foreach (var parameter in new[] { "q", "publisher", "theme", "accessLevel", "licence", "offset", "limit" })
        {
            using var response = await reader.GetAsync($"/api/v1/datasets?{parameter}={value}");
            await AssertOrdinaryOrProblemAsync(response, $"{parameter}={injection}");
        }

        // Text in q is only text: it matches nothing, not everything.
        var searched = await reader.JsonAsync($"/api/v1/datasets?q={value}+{word}");
        Assert.Equal(0, searched.GetProperty("total").GetInt64());
        await AssertWitnessUnchangedAsync(id, word);
    }

    [Theory]
    [MemberData(nameof(Injections))]
    public async Task Injection_strings_in_every_CKAN_parameter_are_only_text(string injection)
    {
        var (id, word) = await CreateWitnessAsync();
        using var reader = platform.CreateGatewayClient();
        var value = Uri.EscapeDataString(injection);
        string[] paths =
        [
            $"/api/3/action/package_search?q={value}",
            $"/api/3/action/package_search?fq={value}",
            $"/api/3/action/package_search?fq=organization:{value}",
            $"/api/3/action/package_search?fq=organization:\"{value}\"",
            $"/api/3/action/package_search?fq=tags:{value}",
            $"/api/3/action/package_search?fq=license_id:{value}",
            $"/api/3/action/package_search?fq=access_level:{value}",
            $"/api/3/action/package_search?rows={value}",
            $"/api/3/action/package_search?start={value}",
            $"/api/3/action/package_search?facet.field={value}",
            $"/api/3/action/package_show?id={value}",
            $"/api/3/action/package_list?limit={value}",
            $"/api/3/action/package_list?offset={value}",
            $"/api/3/action/organization_list?all_fields={value}",
            $"/api/3/action/{value}",
        ];

        foreach (var path in paths)
        {
            using var response = await reader.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode is >= 200 and < 500, $"{path}: {(int)response.StatusCode} {body}");
            AssertNoInternals(body, path);
            if (!response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                Assert.False(JsonDocument.Parse(body).RootElement.GetProperty("success").GetBoolean());
            }
        }

        var searched = await reader.JsonAsync($"/api/3/action/package_search?q={value}+{word}");
        Assert.Equal(0, searched.GetProperty("result").GetProperty("count").GetInt64());
        await AssertWitnessUnchangedAsync(id, word);
    }

    /// <summary>A dataset with one published row, to show afterwards that nothing was changed or dropped.</summary>
    async Task<(string Id, string Word)> CreateWitnessAsync()
    {
        var word = CatalogTestData.NewWord();
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(titleVi: "Chứng cứ " + word, titleEn: "Witness " + word));
        await publisher.PublishOkAsync(id, "code,name\n01,Hà Nội\n");
        return (id, word);
    }

    async Task AssertWitnessUnchangedAsync(string id, string word)
    {
        using var reader = platform.CreateGatewayClient();
        var found = await reader.JsonAsync($"/api/v1/datasets?q={word}");
        Assert.Equal([id], Ids(found));
        var dataset = await reader.JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal("Chứng cứ " + word, dataset.GetProperty("title").GetProperty("vi").GetString());
        var rows = (await reader.JsonAsync($"/api/v1/datasets/{id}/rows")).Rows().ToList();
        Assert.Equal("Hà Nội", Assert.Single(rows).GetProperty("name").GetString());
    }

    static async Task AssertOrdinaryOrProblemAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 200 and < 500, $"{what}: {(int)response.StatusCode} {body}");
        AssertNoInternals(body, what);
        if (!response.IsSuccessStatusCode)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    static void AssertNoInternals(string body, string what)
    {
        foreach (var leak in new[] { "SQLite", "Npgsql", "Postgres", "syntax error", "   at " })
        {
            Assert.False(body.Contains(leak, StringComparison.OrdinalIgnoreCase), $"{what}: the answer mentions '{leak}': {body}");
        }
    }

    static List<string?> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
}

[Collection(EmbeddedCollection.Name)]
public sealed class HostileSearchTests_Embedded(CatalogEmbeddedFixture platform) : HostileSearchTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class HostileSearchTests_Production(CatalogProductionFixture platform) : HostileSearchTests(platform);
