namespace DataPlatform.Contracts.Access;

/// <summary>
/// What the gateway needs to know about a dataset to authorize a call without asking the catalog. The catalog
/// writes one per dataset to <see cref="Redis.RedisKeys.Dataset"/> after every change, and publishes
/// <see cref="Redis.Invalidation.Dataset"/>.
/// </summary>
/// <param name="DatasetId">The dataset's slug.</param>
/// <param name="AccessLevel">Who may read it.</param>
/// <param name="ProductId">The data product a paid dataset belongs to; <c>null</c> otherwise.</param>
/// <param name="CurrentVersion">The version now served, or 0 before the first publish.</param>
/// <param name="Deleted">True once the dataset is deleted; the gateway then answers 404.</param>
public sealed record DatasetDescriptor(
    string DatasetId,
    AccessLevel AccessLevel,
    string? ProductId,
    int CurrentVersion,
    bool Deleted = false)
{
    /// <summary>The entitlement a caller needs: the product's for paid data, the dataset's own for restricted data.</summary>
    public string? RequiredEntitlement => AccessLevel switch
    {
        AccessLevel.Paid when ProductId is not null => Entitlements.Product(ProductId),
        AccessLevel.Restricted => Entitlements.Dataset(DatasetId),
        _ => null,
    };

    /// <summary>
    /// What keeps <paramref name="consumer"/> from reading the dataset's rows: registered and paid data need an API
    /// key, paid and restricted data the <see cref="RequiredEntitlement"/>. The gateway enforces this from the
    /// descriptor; the catalog checks it again for calls that reach it directly and for GraphQL documents, which name
    /// their datasets only in the body.
    /// </summary>
    public ReadRefusal ReadRefusalFor(ConsumerContext.ConsumerContext consumer) =>
        ReadRefusalFor(consumer.IsAnonymous ? null : consumer.Entitlements);

    /// <summary>
    /// The same rule for a caller known by its key's <paramref name="entitlements"/> (<c>null</c> when it sent no
    /// key), as the gateway knows it before any consumer context is signed.
    /// </summary>
    public ReadRefusal ReadRefusalFor(IReadOnlyList<string>? entitlements) =>
        AccessLevel == AccessLevel.Open ? ReadRefusal.None
        : entitlements is null ? ReadRefusal.ApiKeyRequired
        : RequiredEntitlement is { } required && !entitlements.Contains(required, StringComparer.Ordinal) ? ReadRefusal.EntitlementRequired
        : ReadRefusal.None;
}

/// <summary>Why a caller may not read a dataset's rows (see <see cref="DatasetDescriptor.ReadRefusalFor(ConsumerContext.ConsumerContext)"/>).</summary>
public enum ReadRefusal
{
    /// <summary>The caller may read the rows.</summary>
    None,

    /// <summary>The caller sent no API key, and the dataset is not open.</summary>
    ApiKeyRequired,

    /// <summary>The caller's key lacks the entitlement: a subscription to the paid dataset's product.</summary>
    EntitlementRequired,
}
