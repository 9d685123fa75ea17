namespace DataPlatform.Contracts.Access;

/// <summary>Who may read a dataset. The gateway enforces it from the dataset descriptor.</summary>
public enum AccessLevel
{
    /// <summary>Anyone, with or without an API key.</summary>
    Open,

    /// <summary>Any caller with a valid API key.</summary>
    Registered,

    /// <summary>Callers whose account subscribes to the dataset's data product.</summary>
    Paid,

    /// <summary>Callers holding the dataset's entitlement; to everyone else the dataset does not exist.</summary>
    Restricted,
}

/// <summary>The roles a consumer can hold.</summary>
public static class Roles
{
    /// <summary>Owns a billing account: manages its keys, members and subscriptions.</summary>
    public const string Owner = "owner";

    /// <summary>A member of an account.</summary>
    public const string Member = "member";

    /// <summary>May create, publish and delete datasets.</summary>
    public const string Publisher = "publisher";

    /// <summary>Operates the platform.</summary>
    public const string Admin = "admin";
}

/// <summary>The entitlement strings carried in descriptors and consumer contexts.</summary>
public static class Entitlements
{
    /// <summary>The entitlement that a subscription to data product <paramref name="productId"/> gives.</summary>
    public static string Product(string productId) => "product:" + productId;

    /// <summary>The entitlement to read restricted dataset <paramref name="datasetId"/> and its personal columns.</summary>
    public static string Dataset(string datasetId) => "dataset:" + datasetId;
}
