namespace DataPlatform.Billing.Tests;

/// <summary>Tests in this collection share one platform on Garnet and SQLite.</summary>
[CollectionDefinition(Name)]
public sealed class EmbeddedCollection : ICollectionFixture<EmbeddedPlatformFixture>
{
    public const string Name = "embedded";
}

/// <summary>Tests in this collection share one platform on redis-server and PostgreSQL.</summary>
[CollectionDefinition(Name)]
public sealed class ProductionCollection : ICollectionFixture<ProductionPlatformFixture>
{
    public const string Name = "production";
}
