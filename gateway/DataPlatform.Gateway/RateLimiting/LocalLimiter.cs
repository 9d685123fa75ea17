using System.Threading.RateLimiting;

namespace DataPlatform.Gateway.RateLimiting;

/// <summary>
/// The per-instance limit used while Redis is unreachable: a token bucket per consumer, refilled every
/// second. It is not shared between instances, so it caps the damage of an outage rather than enforcing
/// the plan exactly.
/// </summary>
sealed class LocalLimiter : IDisposable
{
    readonly PartitionedRateLimiter<(string Consumer, int PerSecond)> _limiter =
        PartitionedRateLimiter.Create<(string Consumer, int PerSecond), (string, int)>(resource =>
            RateLimitPartition.GetTokenBucketLimiter(resource, key => new TokenBucketRateLimiterOptions
            {
                TokenLimit = key.Item2,
                TokensPerPeriod = key.Item2,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }));

    /// <summary>
    /// True when <paramref name="consumerId"/> may make one more request this second; <paramref name="remaining"/> is
    /// what is left of the second after it, for the RateLimit field.
    /// </summary>
    public bool TryAcquire(string consumerId, int perSecond, out long remaining)
    {
        var resource = (consumerId, Math.Max(1, perSecond));
        using var lease = _limiter.AttemptAcquire(resource);
        remaining = _limiter.GetStatistics(resource)?.CurrentAvailablePermits ?? 0;
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
