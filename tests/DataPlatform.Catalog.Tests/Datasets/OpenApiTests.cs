namespace DataPlatform.Catalog.Tests.Datasets;

/// <summary>The catalog's API is described in OpenAPI, so the gateway's Swagger UI lists it.</summary>
public abstract class OpenApiTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task The_OpenAPI_document_describes_the_catalog_endpoints()
    {
        var document = await platform.CreateGatewayClient().JsonAsync("/openapi/catalog.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/datasets", paths);
        Assert.Contains("/api/v1/datasets/{id}", paths);
        Assert.Contains("/api/v1/datasets/{id}/versions", paths);
        Assert.Contains("/api/v1/datasets/{id}/rows", paths);
        Assert.Contains("/catalog.jsonld", paths);
        Assert.Contains("/api/3/action/{action}", paths);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class OpenApiTests_Embedded(CatalogEmbeddedFixture platform) : OpenApiTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class OpenApiTests_Production(CatalogProductionFixture platform) : OpenApiTests(platform);
