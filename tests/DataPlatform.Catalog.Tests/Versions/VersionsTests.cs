using System.Net;

namespace DataPlatform.Catalog.Tests.Versions;

/// <summary>Every publish is a version with an exact row count; the newest five keep their rows.</summary>
public abstract class VersionsTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task Versions_are_listed_newest_first_with_exact_row_counts_and_old_ones_stay_readable()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        await publisher.PublishOkAsync(id, "tinh,so\nHà Nội,1\n");
        await publisher.PublishOkAsync(id, "tinh,so\nHà Nội,1\nHuế,2\nCần Thơ,3\n");

        using var reader = platform.CreateGatewayClient();
        var versions = (await reader.JsonAsync($"/api/v1/datasets/{id}/versions")).EnumerateArray().ToList();
        Assert.Equal([2, 1], versions.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([3L, 1L], versions.Select(v => v.GetProperty("rowCount").GetInt64()));
        var old = await reader.JsonAsync($"/api/v1/datasets/{id}/rows?version=1");
        Assert.Equal(1, old.GetProperty("version").GetInt32());
        Assert.Equal("Hà Nội", old.Rows().Single().GetProperty("tinh").GetString());
        var current = await reader.JsonAsync($"/api/v1/datasets/{id}/rows?offset=1&limit=1");
        Assert.Equal("Huế", current.Rows().Single().GetProperty("tinh").GetString());
        Assert.Equal(3, current.GetProperty("rowCount").GetInt64());
    }

    [Fact]
    public async Task Only_the_five_newest_versions_keep_their_rows()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        for (var v = 1; v <= 6; v++)
        {
            await publisher.PublishOkAsync(id, $"v\n{v}\n");
        }

        using var reader = platform.CreateGatewayClient();
        var versions = (await reader.JsonAsync($"/api/v1/datasets/{id}/versions")).EnumerateArray().ToList();
        Assert.Equal(6, versions.Count);
        Assert.Equal([true, true, true, true, true, false], versions.Select(v => v.GetProperty("retained").GetBoolean()));
        using var gone = await reader.GetAsync($"/api/v1/datasets/{id}/rows?version=1");
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        var second = await reader.JsonAsync($"/api/v1/datasets/{id}/rows?version=2");
        Assert.Equal(2, second.Rows().Single().GetProperty("v").GetInt64());
    }

    [Fact]
    public async Task A_dataset_deleted_and_created_again_under_the_same_id_serves_its_new_rows_everywhere()
    {
        // The new dataset's first version is version 1 again, in a new table: nothing cached for the old one may
        // answer for it.
        var id = CatalogTestData.NewId("again");
        using var publisher = platform.Publisher();
        using var reader = platform.CreateGatewayClient();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        await publisher.PublishOkAsync(id, "code,name\n01,Hà Nội\n");
        var before = await reader.JsonAsync($"/odata/{id}/Records?$select=name");
        Assert.Equal("Hà Nội", before.GetProperty("value").EnumerateArray().Single().GetProperty("name").GetString());
        using (var deleted = await publisher.DeleteAsync($"/api/v1/datasets/{id}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, $"delete answered {(int)deleted.StatusCode}");
        }

        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        await publisher.PublishOkAsync(id, "code,name\n01,Huế\n");

        var odata = await reader.JsonAsync($"/odata/{id}/Records?$select=name");
        Assert.Equal("Huế", odata.GetProperty("value").EnumerateArray().Single().GetProperty("name").GetString());
        using var csv = await reader.GetAsync($"/api/v1/datasets/{id}/download.csv?$filter=startswith(name,'H')");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.Contains("Huế", text);
        Assert.DoesNotContain("Hà Nội", text);
    }

    [Fact]
    public async Task Paging_outside_the_limits_is_a_problem()
    {
        var id = CatalogTestData.NewId("paging");
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata());
            await publisher.PublishOkAsync(id, "code,name\n01,Hà Nội\n");
        }

        using var reader = platform.CreateGatewayClient();

        using var tooMany = await reader.GetAsync($"/api/v1/datasets/{id}/rows?limit=100000000");
        using var negative = await reader.GetAsync($"/api/v1/datasets/{id}/rows?offset=-1");

        var problem = await tooMany.ProblemAsync(400);
        Assert.Equal("PageSize", problem.GetProperty("limit").GetString());
        Assert.Contains("at most 10000 rows", problem.GetProperty("detail").GetString());
        await negative.ProblemAsync(400);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class VersionsTests_Embedded(CatalogEmbeddedFixture platform) : VersionsTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class VersionsTests_Production(CatalogProductionFixture platform) : VersionsTests(platform);
