namespace DataPlatform.Catalog.Tests.SampleData;

/// <summary>
/// The sample data: the real 2025 administrative units and made-up home-affairs datasets. Embedded mode loads
/// it on first start; production loads it with the seed command, which the production run calls here.
/// </summary>
public abstract class SampleDataTests(CatalogPlatformFixture platform)
{
    static readonly SemaphoreSlim _seeding = new(1, 1);

    /// <summary>On PostgreSQL, runs what <c>DataPlatform.Catalog -- seed</c> runs; embedded mode loaded it at start.</summary>
    public static async Task EnsureSeededAsync(CatalogPlatformFixture platform)
    {
        if (platform.Backend == Backend.Production)
        {
            await _seeding.WaitAsync();
            try
            {
                await CatalogHost.SeedSampleDataAsync(platform.Platform.Catalog!.Services, CancellationToken.None);
            }
            finally
            {
                _seeding.Release();
            }
        }
    }

    [Fact]
    public async Task The_2025_administrative_units_have_34_provinces_and_3321_wards_with_their_source()
    {
        await EnsureSeededAsync(platform);
        using var reader = platform.CreateGatewayClient();

        var provinces = await reader.JsonAsync("/api/v1/datasets/don-vi-hanh-chinh-cap-tinh-2025");
        var wards = await reader.JsonAsync("/api/v1/datasets/don-vi-hanh-chinh-cap-xa-2025");
        var firstWards = await reader.JsonAsync("/api/v1/datasets/don-vi-hanh-chinh-cap-xa-2025/rows?limit=1000");
        var allProvinces = await reader.JsonAsync("/api/v1/datasets/don-vi-hanh-chinh-cap-tinh-2025/rows?limit=100");

        Assert.Equal(34, provinces.GetProperty("rowCount").GetInt64());
        Assert.Equal(3321, wards.GetProperty("rowCount").GetInt64());
        Assert.Equal(34, allProvinces.Rows().Count());
        Assert.Equal("MIT", provinces.GetProperty("licence").GetProperty("id").GetString());
        Assert.Contains("thanglequoc/vietnamese-provinces-database", provinces.GetProperty("source").GetString());
        Assert.False(provinces.GetProperty("synthetic").GetBoolean());
        var hanoi = allProvinces.Rows().First();
        Assert.Equal("01", hanoi.GetProperty("code").GetString());
        Assert.Equal("Hà Nội", hanoi.GetProperty("name").GetString());
        var baDinh = firstWards.Rows().First();
        Assert.Equal("00004", baDinh.GetProperty("code").GetString());
        Assert.Equal("Phường Ba Đình", baDinh.GetProperty("full_name").GetString());
        Assert.Equal("01", baDinh.GetProperty("province_code").GetString());
    }

    [Fact]
    public async Task The_synthetic_datasets_say_they_are_made_up_and_cover_every_access_level_but_registered()
    {
        await EnsureSeededAsync(platform);
        using var reader = platform.Entitled("dataset:ho-so-dieu-dong-can-bo");
        string[] synthetic = ["bien-che-cong-chuc-theo-tinh", "chi-so-par-index-sipas", "dich-vu-cong-truc-tuyen-theo-tinh", "kho-luu-tru-lich-su", "ho-so-dieu-dong-can-bo"];

        var views = new List<System.Text.Json.JsonElement>();
        foreach (var id in synthetic)
        {
            views.Add(await reader.JsonAsync($"/api/v1/datasets/{id}"));
        }

        Assert.All(views, v =>
        {
            Assert.True(v.GetProperty("synthetic").GetBoolean());
            Assert.Contains("not real statistics", v.GetProperty("syntheticDescription").GetString());
            Assert.True(v.GetProperty("rowCount").GetInt64() > 0);
        });
        var levels = views.Select(v => v.GetProperty("accessLevel").GetString()).ToList();
        Assert.Contains("paid", levels);
        Assert.Contains("restricted", levels);
        Assert.Equal(3, levels.Count(l => l == "open"));
        var restricted = views[^1].GetProperty("columns").EnumerateArray().ToList();
        Assert.Contains(restricted, c => c.GetProperty("sensitivity").GetString() == "personal");
        Assert.Equal(34 * 8 * 5, views[0].GetProperty("rowCount").GetInt64());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class SampleDataTests_Embedded(CatalogEmbeddedFixture platform) : SampleDataTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class SampleDataTests_Production(CatalogProductionFixture platform) : SampleDataTests(platform);
