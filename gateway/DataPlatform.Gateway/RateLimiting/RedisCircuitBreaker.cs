using DataPlatform.Gateway.Pipeline;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPlatform.Gateway.RateLimiting;

/// <summary>
/// Guards the request path against a slow or absent Redis: every call gets a short timeout, and after a few
/// consecutive failures the breaker opens, so requests stop waiting on Redis at all and fall back to local
/// limits at once. After <see cref="RedisResilience.OpenSeconds"/> one call probes Redis again.
/// </summary>
/// <remarks>
/// Hand-written rather than a Polly pipeline because it sits on every request: a Polly execution takes a
/// callback and a context per call, while this is three integer reads on the fast path.
/// </remarks>
sealed partial class RedisCircuitBreaker(
    IConnectionMultiplexer redis, IOptions<GatewayOptions> options, TimeProvider time, ILogger<RedisCircuitBreaker> logger)
{
    readonly RedisResilience _options = options.Value.Redis;
    int _consecutiveFailures;
    long _openUntil;
    int _probing;

    /// <summary>The per-call timeout.</summary>
    public TimeSpan Timeout => TimeSpan.FromMilliseconds(_options.TimeoutMilliseconds);

    /// <summary>True when <see cref="Timeout"/> is shorter than the multiplexer's own timeout, so callers must enforce it.</summary>
    public bool NeedsOwnTimeout { get; } = options.Value.Redis.TimeoutMilliseconds < redis.TimeoutMilliseconds;

    /// <summary>True when calls may go to Redis now (closed, or half-open and this caller is the probe).</summary>
    public bool TryEnter()
    {
        var openUntil = Volatile.Read(ref _openUntil);
        if (openUntil == 0)
        {
            return true;
        }

        if (time.GetTimestamp() < openUntil)
        {
            return false;
        }

        // Half-open: one caller probes, the others keep to local limits until it answers.
        return Interlocked.CompareExchange(ref _probing, 1, 0) == 0;
    }

    /// <summary>True while the breaker is open (Redis considered unavailable).</summary>
    public bool IsOpen => Volatile.Read(ref _openUntil) != 0;

    public void Succeeded()
    {
        if (Volatile.Read(ref _openUntil) != 0)
        {
            LogClosed(logger);
        }

        Volatile.Write(ref _consecutiveFailures, 0);
        Volatile.Write(ref _openUntil, 0);
        Volatile.Write(ref _probing, 0);
    }

    public void Failed(Exception exception)
    {
        var failures = Interlocked.Increment(ref _consecutiveFailures);
        if (failures >= _options.FailuresToOpen || Volatile.Read(ref _probing) == 1 || !redis.IsConnected)
        {
            var wasClosed = Volatile.Read(ref _openUntil) == 0;
            Volatile.Write(ref _openUntil, time.GetTimestamp() + (long)(_options.OpenSeconds * time.TimestampFrequency));
            Volatile.Write(ref _probing, 0);
            if (wasClosed)
            {
                LogOpened(logger, exception.GetType().Name, _options.OpenSeconds);
            }
        }
    }

    /// <summary>True for the exceptions that mean "Redis did not answer in time", as opposed to a bug.</summary>
    public static bool IsRedisFailure(Exception exception) =>
        exception is RedisException or TimeoutException or ObjectDisposedException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is failing ({Reason}); the gateway serves under local limits and retries in {Seconds} s")]
    static partial void LogOpened(ILogger logger, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis answers again; limits and quotas are shared again")]
    static partial void LogClosed(ILogger logger);
}
