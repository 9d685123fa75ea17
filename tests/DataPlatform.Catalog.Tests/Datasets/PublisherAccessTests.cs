using System.Net.Http.Json;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Tests.Datasets;

/// <summary>Only publishers change the catalog; personal columns show only to entitled callers.</summary>
public abstract class PublisherAccessTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task Changing_the_catalog_anonymously_is_401_and_without_the_publisher_role_403()
    {
        var id = CatalogTestData.NewId();
        using var anonymous = platform.CreateCatalogClient();
        using var member = platform.CreateCatalogClient(PlatformFixture.Consumer("acct-member", Roles.Member));
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());

        foreach (var client in new[] { anonymous, member })
        {
            var expected = client == anonymous ? 401 : 403;
            using var put = await client.PutAsJsonAsync($"/api/v1/datasets/{id}", CatalogTestData.Metadata());
            using var publish = await client.PublishAsync(id, "a\n1\n");
            using var delete = await client.DeleteAsync($"/api/v1/datasets/{id}");
            await put.ProblemAsync(expected);
            await publish.ProblemAsync(expected);
            await delete.ProblemAsync(expected);
        }

        var dataset = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal(0, dataset.GetProperty("currentVersion").GetInt32());
    }

    [Fact]
    public async Task A_publisher_updates_metadata_and_deletes_a_dataset()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        await publisher.PublishOkAsync(id, "a\n1\n");

        using var update = await publisher.PutAsJsonAsync($"/api/v1/datasets/{id}", CatalogTestData.Metadata(titleVi: "Tên mới"));
        Assert.Equal(System.Net.HttpStatusCode.OK, update.StatusCode);
        var updated = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal("Tên mới", updated.GetProperty("title").GetProperty("vi").GetString());
        Assert.Equal(1, updated.GetProperty("currentVersion").GetInt32());

        using var delete = await publisher.DeleteAsync($"/api/v1/datasets/{id}");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await platform.CreateGatewayClient().GetAsync($"/api/v1/datasets/{id}");
        await gone.ProblemAsync(404);
    }

    [Fact]
    public async Task Personal_and_sensitive_columns_are_hidden_unless_the_caller_is_entitled()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns:
        [
            CatalogTestData.Column("ma", key: true),
            CatalogTestData.Column("ho_ten", sensitivity: "personal"),
            CatalogTestData.Column("benh_an", sensitivity: "sensitive"),
        ]));
        await publisher.PublishOkAsync(id, "ma,ho_ten,benh_an,tinh\n1,Nguyễn Văn An,Tiểu đường,Huế\n");
        using var anonymous = platform.CreateGatewayClient();
        using var entitled = platform.Entitled($"dataset:{id}");

        var publicView = await anonymous.JsonAsync($"/api/v1/datasets/{id}");
        var publicRow = (await anonymous.JsonAsync($"/api/v1/datasets/{id}/rows")).Rows().Single();
        var fullView = await entitled.JsonAsync($"/api/v1/datasets/{id}");
        var fullRow = (await entitled.JsonAsync($"/api/v1/datasets/{id}/rows")).Rows().Single();

        Assert.Equal(["ma", "tinh"], publicView.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        // The hidden columns are named, with why, and nothing of their content or type.
        var hidden = publicView.GetProperty("hiddenColumns").EnumerateArray().ToList();
        Assert.Equal(["ho_ten:personal", "benh_an:sensitive"], hidden.Select(c => c.GetProperty("name").GetString() + ":" + c.GetProperty("sensitivity").GetString()));
        Assert.All(hidden, c => Assert.False(c.TryGetProperty("type", out _)));
        Assert.Empty(fullView.GetProperty("hiddenColumns").EnumerateArray());
        Assert.False(publicRow.TryGetProperty("ho_ten", out _));
        Assert.False(publicRow.TryGetProperty("benh_an", out _));
        Assert.Equal(["ma", "ho_ten", "benh_an", "tinh"], fullView.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("Nguyễn Văn An", fullRow.GetProperty("ho_ten").GetString());
    }

    [Fact]
    public async Task Rows_of_a_registered_dataset_need_a_key_but_no_subscription()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(access: "registered"));
        await publisher.PublishOkAsync(id, "a\n1\n");
        using var keyed = platform.CreateCatalogClient(PlatformFixture.Consumer("acct-reader", Roles.Member));

        using var anonymous = await platform.CreateGatewayClient().GetAsync($"/api/v1/datasets/{id}/rows");
        var rows = await keyed.JsonAsync($"/api/v1/datasets/{id}/rows");
        var version = await keyed.JsonAsync($"/api/v1/datasets/{id}/versions/1");

        await anonymous.ProblemAsync(401);
        Assert.Single(rows.Rows());
        Assert.True(version.GetProperty("current").GetBoolean());
        Assert.Equal("a", version.GetProperty("columns")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Rows_of_a_paid_dataset_need_a_subscription_to_its_product()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(access: "paid", productId: "hr-analytics"));
        await publisher.PublishOkAsync(id, "a\n1\n");
        using var subscriber = platform.Entitled("product:hr-analytics");
        using var other = platform.Entitled("product:something-else");

        using var refused = await other.GetAsync($"/api/v1/datasets/{id}/rows");
        var rows = await subscriber.JsonAsync($"/api/v1/datasets/{id}/rows");

        await refused.ProblemAsync(403);
        Assert.Single(rows.Rows());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PublisherAccessTests_Embedded(CatalogEmbeddedFixture platform) : PublisherAccessTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PublisherAccessTests_Production(CatalogProductionFixture platform) : PublisherAccessTests(platform);
