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
}
