using System.Text.Json.Serialization;

namespace DataPlatform.Contracts.ConsumerContext;

/// <summary>
/// Who is calling, as established by the gateway. The gateway signs this record into the
/// <see cref="ConsumerContextHeader.Name"/> header of every proxied request; upstream services trust
/// nothing else about the caller.
/// </summary>
/// <param name="ConsumerId">The consumer's stable id (an account id for keyed calls, <c>anonymous</c> otherwise).</param>
/// <param name="AccountId">The billing account behind the call, or <c>null</c> for anonymous calls.</param>
/// <param name="Roles">Roles the consumer holds, such as <c>publisher</c> or <c>admin</c>.</param>
/// <param name="Entitlements">Products and restricted datasets the consumer may read.</param>
/// <param name="Plan">The consumer's plan id, or <c>null</c> for anonymous calls.</param>
/// <param name="ClientIp">The client address as the gateway determined it.</param>
/// <param name="IssuedAt">When the gateway signed the context; upstreams refuse stale contexts.</param>
public sealed record ConsumerContext(
    [property: JsonPropertyName("sub")] string ConsumerId,
    [property: JsonPropertyName("acct")] string? AccountId,
    [property: JsonPropertyName("roles")] IReadOnlyList<string> Roles,
    [property: JsonPropertyName("ent")] IReadOnlyList<string> Entitlements,
    [property: JsonPropertyName("plan")] string? Plan,
    [property: JsonPropertyName("ip")] string? ClientIp,
    [property: JsonPropertyName("iat")] DateTimeOffset IssuedAt)
{
    /// <summary>The consumer id used for calls that carry no API key.</summary>
    public const string AnonymousId = "anonymous";

    /// <summary>
    /// The billing user whose key made the call (<see cref="Access.ApiKeyDescriptor.UserId"/>), when the key belongs
    /// to one; <c>null</c> for anonymous calls and for keys that belong to the account as a whole.
    /// </summary>
    [JsonPropertyName("uid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? UserId { get; init; }

    /// <summary>The public id of the API key that made the call (<see cref="Access.ApiKeyDescriptor.KeyId"/>), or <c>null</c>.</summary>
    [JsonPropertyName("kid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? KeyId { get; init; }

    /// <summary>True when the call carried no credentials.</summary>
    [JsonIgnore]
    public bool IsAnonymous => AccountId is null;

    /// <summary>Creates the context of a call without credentials.</summary>
    public static ConsumerContext Anonymous(string? clientIp, DateTimeOffset issuedAt) =>
        new(AnonymousId, null, [], [], null, clientIp, issuedAt);

    /// <summary>
    /// The context of a call made with the key <paramref name="descriptor"/> describes: the consumer, account, roles,
    /// entitlements and plan of the descriptor, with the key's id and its user's id.
    /// </summary>
    public static ConsumerContext ForKey(Access.ApiKeyDescriptor descriptor, string? clientIp, DateTimeOffset issuedAt) =>
        new(descriptor.ConsumerId, descriptor.AccountId, descriptor.Roles, descriptor.Entitlements, descriptor.Limits.PlanId, clientIp, issuedAt)
        {
            UserId = descriptor.UserId,
            KeyId = descriptor.KeyId,
        };

    /// <summary>True when the consumer holds <paramref name="role"/>.</summary>
    public bool HasRole(string role) => Roles.Contains(role, StringComparer.Ordinal);

    /// <summary>True when the consumer holds <paramref name="entitlement"/>.</summary>
    public bool HasEntitlement(string entitlement) => Entitlements.Contains(entitlement, StringComparer.Ordinal);
}
