namespace DataPlatform.Contracts.Access;

/// <summary>The state of an API key as the gateway acts on it.</summary>
public enum ApiKeyStatus
{
    /// <summary>The key works.</summary>
    Active,

    /// <summary>The key was revoked: 403.</summary>
    Revoked,

    /// <summary>The key is past its expiry: 403.</summary>
    Expired,

    /// <summary>The account is suspended for non-payment: 402.</summary>
    Suspended,
}

/// <summary>
/// The limits of a plan, as the gateway enforces them. A value of 0 means "no limit" for quotas.
/// </summary>
/// <param name="PlanId">The plan's id, such as <c>free</c>, <c>developer</c> or <c>partner</c>.</param>
/// <param name="BurstPerSecond">Requests allowed in any one second.</param>
/// <param name="RequestsPerMinute">Requests allowed in any sliding minute.</param>
/// <param name="MonthlyRequests">Requests allowed per calendar month (Asia/Ho_Chi_Minh); 0 for unlimited.</param>
/// <param name="MonthlyBytes">Response bytes allowed per calendar month; 0 for unlimited.</param>
/// <param name="BillableStatusClasses">Which response status classes count as billable, such as <c>2xx</c>.</param>
public sealed record PlanLimits(
    string PlanId,
    int BurstPerSecond,
    int RequestsPerMinute,
    long MonthlyRequests,
    long MonthlyBytes,
    IReadOnlyList<string> BillableStatusClasses);

/// <summary>
/// Everything the gateway needs to authenticate and limit a call made with one API key. Billing writes one per
/// key to <see cref="Redis.RedisKeys.ApiKey"/>, looked up by the SHA-256 of the key (<see cref="ApiKeyFormat.Hash"/>),
/// whenever the key, its plan, subscriptions or the account's status change, and publishes
/// <see cref="Redis.Invalidation.ApiKey"/>.
/// </summary>
/// <param name="KeyId">The key's public id, safe to log and show.</param>
/// <param name="ConsumerId">The consumer the call is counted against: the account id.</param>
/// <param name="AccountId">The billing account.</param>
/// <param name="Status">Whether the key works, and if not why.</param>
/// <param name="ExpiresAt">When the key stops working, or <c>null</c>.</param>
/// <param name="Limits">The plan's limits.</param>
/// <param name="Roles">The roles the account's key carries, such as <c>publisher</c>.</param>
/// <param name="Entitlements">Products subscribed to and restricted datasets granted.</param>
/// <param name="StatusReason">A sentence for the caller when the key does not work.</param>
public sealed record ApiKeyDescriptor(
    string KeyId,
    string ConsumerId,
    string AccountId,
    ApiKeyStatus Status,
    DateTimeOffset? ExpiresAt,
    PlanLimits Limits,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Entitlements,
    string? StatusReason = null)
{
    /// <summary>
    /// The billing user who holds the key (who created it, or signed in to get it), or <c>null</c> for a key of the
    /// account as a whole. <see cref="Roles"/> are already narrowed to that user's roles; the gateway passes the id on
    /// as <see cref="ConsumerContext.ConsumerContext.UserId"/> so that upstreams can tell the account's people apart.
    /// </summary>
    public string? UserId { get; init; }

    /// <summary>The status in force at <paramref name="now"/>, taking the expiry into account.</summary>
    public ApiKeyStatus StatusAt(DateTimeOffset now) =>
        Status == ApiKeyStatus.Active && ExpiresAt is { } expiry && expiry <= now ? ApiKeyStatus.Expired : Status;
}
