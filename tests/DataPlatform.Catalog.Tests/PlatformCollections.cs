namespace DataPlatform.Catalog.Tests;

/// <summary>
/// The platform for the catalog's tests, with a small upload limit so that the over-size test needs only a
/// few megabytes. The sample data loads on the embedded fixture's first start, as it does for users.
/// </summary>
public abstract class CatalogPlatformFixture(Backend backend) : PlatformFixture(backend)
{
    public const long UploadLimit = 4 * 1024 * 1024;

    public const int XlsxRowsPerSheet = 1000;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Catalog:MaxUploadBytes", UploadLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        // Every test here reads through the gateway from one loopback address; the anonymous tier's limits are the
        // gateway tests' subject, not these.
        new("Gateway:Anonymous:BurstPerSecond", "100000"),
        new("Gateway:Anonymous:RequestsPerMinute", "1000000"),
        // Small worksheets, so that the XLSX split over several sheets needs only a few thousand rows.
        new("Catalog:Downloads:XlsxRowsPerSheet", XlsxRowsPerSheet.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

/// <summary>The catalog's platform on Garnet and SQLite.</summary>
public sealed class CatalogEmbeddedFixture() : CatalogPlatformFixture(Backend.Embedded);

/// <summary>The catalog's platform on redis-server and PostgreSQL.</summary>
public sealed class CatalogProductionFixture() : CatalogPlatformFixture(Backend.Production);

/// <summary>Tests in this collection share one platform on Garnet and SQLite.</summary>
[CollectionDefinition(Name)]
public sealed class EmbeddedCollection : ICollectionFixture<CatalogEmbeddedFixture>
{
    public const string Name = "embedded";
}

/// <summary>Tests in this collection share one platform on redis-server and PostgreSQL.</summary>
[CollectionDefinition(Name)]
public sealed class ProductionCollection : ICollectionFixture<CatalogProductionFixture>
{
    public const string Name = "production";
}
