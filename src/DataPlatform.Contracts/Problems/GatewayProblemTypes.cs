namespace DataPlatform.Contracts.Problems;

/// <summary>
/// The <c>type</c> URIs of the problems the gateway answers with when it refuses a request itself. Like
/// <see cref="ProblemTypes"/>, they are relative references resolved against the gateway's address.
/// </summary>
public static class GatewayProblemTypes
{
    /// <summary>The API key is not in the platform's format (prefix, length or checksum): most likely mistyped.</summary>
    public const string MalformedApiKey = "/problems/malformed-api-key";

    /// <summary>The API key is well formed but no account holds it.</summary>
    public const string UnknownApiKey = "/problems/unknown-api-key";

    /// <summary>The API key was revoked by its owner or an operator.</summary>
    public const string RevokedApiKey = "/problems/revoked-api-key";

    /// <summary>The API key is past its expiry date.</summary>
    public const string ExpiredApiKey = "/problems/expired-api-key";

    /// <summary>The key's account is suspended for non-payment (402).</summary>
    public const string AccountSuspended = "/problems/account-suspended";

    /// <summary>
    /// The client address sent too many API keys that were refused in a short time (429): key-bearing requests from
    /// it are refused without a lookup until the window ends (<c>Retry-After</c>).
    /// </summary>
    public const string TooManyFailedKeys = "/problems/too-many-failed-api-keys";

    /// <summary>The dataset needs a key: it is open to registered developers only.</summary>
    public const string RegistrationRequired = "/problems/registration-required";

    /// <summary>The dataset belongs to a paid data product the key's account does not subscribe to.</summary>
    public const string SubscriptionRequired = "/problems/subscription-required";

    /// <summary>
    /// A rate limit or quota is used up (429); the body lists the violated policies in <c>violated-policies</c>. This
    /// one is absolute: it is the type that draft-ietf-httpapi-ratelimit-headers-11 (section 5.1) registers, so
    /// clients that know the draft recognise it.
    /// </summary>
    public const string QuotaExceeded = "https://iana.org/assignments/http-problem-types#quota-exceeded";

    /// <summary>The gateway cannot check the key or the limits right now (Redis unreachable) and is configured to refuse.</summary>
    public const string LimiterUnavailable = "/problems/limiter-unavailable";
}
