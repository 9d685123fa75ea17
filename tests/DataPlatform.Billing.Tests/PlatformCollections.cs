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
