namespace DataPlatform.Billing.Tests.Stripe;

/// <summary>The platform with Stripe configured against the local fake, and a webhook signing secret.</summary>
public abstract class StripePlatformFixture(Backend backend) : BillingPlatformFixture(backend), IAsyncLifetime
{
    public const string WebhookSecret = "whsec_test_dataplatform_billing";

    StripeFake? _fake;

    public StripeFake Stripe => _fake ?? throw new InvalidOperationException("The Stripe fake has not started.");

    /// <summary>Stops the platform, then the fake it was talking to.</summary>
    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_fake is not null)
        {
            await _fake.DisposeAsync();
        }
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings()
    {
        _fake ??= new StripeFake();
        return base.ExtraSettings().Concat(
        [
            new("Stripe:ApiKey", "sk_test_dataplatform"),
            new("Stripe:ApiBase", _fake.Url),
            new("Stripe:WebhookSecret", WebhookSecret),
            // The tests run the sync themselves; the background one waits a day so their call records stay exact.
            new("Stripe:SyncInterval", "1.00:00:00"),
            new("Stripe:SettleDelay", "00:00:00"),
            new("Stripe:RetryDelay", "00:00:00.010"),
        ]);
    }
}

public sealed class StripeEmbeddedFixture() : StripePlatformFixture(Backend.Embedded);

public sealed class StripeProductionFixture() : StripePlatformFixture(Backend.Production);

[CollectionDefinition(Name)]
public sealed class StripeEmbeddedCollection : ICollectionFixture<StripeEmbeddedFixture>
{
    public const string Name = "stripe-embedded";
}

[CollectionDefinition(Name)]
public sealed class StripeProductionCollection : ICollectionFixture<StripeProductionFixture>
{
    public const string Name = "stripe-production";
}
