namespace DataPlatform.Billing.Tests;

/// <summary>
/// The platform as billing's tests need it: a rotation overlap long enough to observe. Sign-up e-mails land in
/// <see cref="PlatformFixture.MailDirectory"/>, where the tests read the confirmation link as a user reads their inbox.
/// </summary>
public abstract class BillingPlatformFixture(Backend backend) : PlatformFixture(backend)
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Billing:Keys:RotationOverlap", "01:00:00"),
        // Low enough that a test reaches the client limit in a few calls; the tests that do use client addresses of their own.
        new("Billing:SignIn:MaxFailedAttemptsPerClient", "8"),
        // The catalog's sample datasets, which the seeded data products name, on PostgreSQL too (embedded mode loads them anyway).
        new("Catalog:SeedSampleData", "true"),
    ];
}

public sealed class BillingEmbeddedFixture() : BillingPlatformFixture(Backend.Embedded);

public sealed class BillingProductionFixture() : BillingPlatformFixture(Backend.Production);

/// <summary>Tests in this collection share one platform on Garnet and SQLite.</summary>
[CollectionDefinition(Name)]
public sealed class EmbeddedCollection : ICollectionFixture<BillingEmbeddedFixture>
{
    public const string Name = "embedded";
}

/// <summary>Tests in this collection share one platform on redis-server and PostgreSQL.</summary>
[CollectionDefinition(Name)]
public sealed class ProductionCollection : ICollectionFixture<BillingProductionFixture>
{
    public const string Name = "production";
}
