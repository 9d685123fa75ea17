using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Gateway.Pipeline;

/// <summary>What to do with keyed traffic while Redis cannot be reached.</summary>
public enum OutageMode
{
    /// <summary>Serve under per-instance local limits and spool usage locally until Redis is back.</summary>
    Serve,

    /// <summary>Refuse keyed calls with 503 until Redis is back; open data is still served.</summary>
    Refuse,
}

/// <summary>The gateway's own settings, bound from the <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>How long a key or dataset descriptor is kept in-process; invalidations drop it sooner.</summary>
    [Range(0.1, 300)]
    public double DescriptorCacheSeconds { get; set; } = 5;

    /// <summary>The limits of calls without a key, per client address.</summary>
    [Required]
    public AnonymousLimits Anonymous { get; set; } = new();

    /// <summary>How many refused API keys one client address may send before its keyed requests are refused for a while.</summary>
    [Required]
    public KeyFailureLimits KeyFailures { get; set; } = new();

    /// <summary>
    /// Addresses of reverse proxies or load balancers in front of the gateway whose <c>X-Forwarded-For</c> is
    /// believed. Single addresses (<c>10.0.0.5</c>) or networks (<c>10.0.0.0/8</c>); empty believes nobody.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Where the 403 for a paid dataset points the caller to choose a plan.</summary>
    [Required]
    public string PlansUrl { get; set; } = "/api/v1/account/plans";

    /// <summary>Origins allowed to call the public APIs from a browser; <c>*</c> allows any.</summary>
    public List<string> CorsOrigins { get; set; } = ["*"];

    /// <summary>
    /// Whether a read (GET or HEAD, not a download, not restricted data) by a consumer well inside its limits goes
    /// upstream while its limiter decision is on its way, rather than after it. The decision is the same either way,
    /// and nothing of the response leaves before it: the Redis round trip overlaps the upstream's instead of adding
    /// to it. The price is an upstream answer thrown away when another instance used up the consumer's room in the
    /// meantime. Off, every request waits for its decision.
    /// </summary>
    public bool ForwardWhileDeciding { get; set; } = true;

    /// <summary>How the gateway talks to Redis on the request path.</summary>
    [Required]
    public RedisResilience Redis { get; set; } = new();

    /// <summary>How usage is metered.</summary>
    [Required]
    public MeteringOptions Metering { get; set; } = new();
}

/// <summary>The anonymous tier's limits, per client address.</summary>
public sealed class AnonymousLimits
{
    [Range(0, int.MaxValue)]
    public int BurstPerSecond { get; set; } = 20;

    [Range(0, int.MaxValue)]
    public int RequestsPerMinute { get; set; } = 300;
}

/// <summary>
/// The slowing of key guessing: once a client address (an IPv6 address by its /64) has sent <see cref="Limit"/>
/// keys that were refused as malformed, unknown, revoked or expired within <see cref="WindowSeconds"/>, its requests
/// that carry a key get 429 without a lookup until the window ends.
/// </summary>
public sealed class KeyFailureLimits
{
    /// <summary>Refused keys allowed per address and window; 0 turns the check off.</summary>
    [Range(0, 1_000_000)]
    public int Limit { get; set; } = 20;

    /// <summary>The window, counted from the address's first refused key.</summary>
    [Range(1, 86_400)]
    public int WindowSeconds { get; set; } = 600;
}

/// <summary>Timeouts and the circuit breaker around Redis, and what to do while it is away.</summary>
public sealed class RedisResilience
{
    /// <summary>
    /// How long a request waits for the limiter script or a descriptor before treating Redis as failed. Long
    /// enough that a busy Redis is not mistaken for an absent one (which would trade exact limits for local
    /// ones), short enough that an outage costs a caller one second at most before the breaker opens.
    /// </summary>
    [Range(10, 10_000)]
    public int TimeoutMilliseconds { get; set; } = 1000;

    /// <summary>Consecutive failures that open the breaker.</summary>
    [Range(1, 1000)]
    public int FailuresToOpen { get; set; } = 3;

    /// <summary>How long the breaker stays open before one call probes Redis again.</summary>
    [Range(0.1, 600)]
    public double OpenSeconds { get; set; } = 2;

    /// <summary>What keyed traffic gets while the breaker is open.</summary>
    public OutageMode KeyedTraffic { get; set; } = OutageMode.Serve;

    /// <summary>Per-instance requests per second allowed to one client address for open data during an outage.</summary>
    [Range(1, int.MaxValue)]
    public int AnonymousLocalPerSecond { get; set; } = 20;
}

/// <summary>Metering: the local journal and its flush to Redis.</summary>
public sealed class MeteringOptions
{
    /// <summary>How often the journal is rotated and its counts added to Redis.</summary>
    [Range(10, 60_000)]
    public int FlushIntervalMilliseconds { get; set; } = 1000;

    /// <summary>The journal folder; relative paths are under the data directory.</summary>
    [Required]
    public string SpoolDirectory { get; set; } = "gateway-usage";

    /// <summary>How long usage hashes and monthly counters live in Redis after their last change.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 100;
}
