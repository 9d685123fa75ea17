using System.Net;
using DataPlatform.Contracts.Access;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.Authorization;

/// <summary>
/// A registered or paid dataset's catalog entry is public, as the catalog's search, DCAT and CKAN already show it,
/// so that people (and the portal) can see what it holds and what they need to read it. Its rows are not.
/// </summary>
public abstract class DatasetMetadataTests(PlatformFixture platform)
{
    [Theory]
    [InlineData(AccessLevel.Registered)]
    [InlineData(AccessLevel.Paid)]
    public async Task Anyone_reads_the_entry_and_versions_of_protected_data_but_not_its_rows(AccessLevel access)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var dataset = await scenario.PublishDatasetAsync(access, access == AccessLevel.Paid ? "product-" + scenario.Unique : null);
        using var anonymous = GatewayScenario.Client(gateway);

        foreach (var path in new[] { $"/api/v1/datasets/{dataset}", $"/api/v1/datasets/{dataset}/versions", $"/api/v1/datasets/{dataset}/versions/1" })
        {
            using var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var path in new[] { $"/api/v1/datasets/{dataset}/rows", $"/api/v1/datasets/{dataset}/download.csv", $"/api/v1/datasets/{dataset}/versions/1/rows", $"/odata/{dataset}/Records" })
        {
            using var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task The_entry_of_restricted_data_still_looks_missing()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Restricted);
        using var anonymous = GatewayScenario.Client(gateway);

        using var response = await anonymous.GetAsync($"/api/v1/datasets/{dataset}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class DatasetMetadataTests_Embedded(EmbeddedPlatformFixture platform) : DatasetMetadataTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class DatasetMetadataTests_Production(ProductionPlatformFixture platform) : DatasetMetadataTests(platform);
