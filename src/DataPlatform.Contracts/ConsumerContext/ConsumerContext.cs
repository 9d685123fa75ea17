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

    /// <summary>True when the call carried no credentials.</summary>
    [JsonIgnore]
    public bool IsAnonymous => AccountId is null;

    /// <summary>Creates the context of a call without credentials.</summary>
    public static ConsumerContext Anonymous(string? clientIp, DateTimeOffset issuedAt) =>
        new(AnonymousId, null, [], [], null, clientIp, issuedAt);

    /// <summary>True when the consumer holds <paramref name="role"/>.</summary>
    public bool HasRole(string role) => Roles.Contains(role, StringComparer.Ordinal);

    /// <summary>True when the consumer holds <paramref name="entitlement"/>.</summary>
    public bool HasEntitlement(string entitlement) => Entitlements.Contains(entitlement, StringComparer.Ordinal);
}
