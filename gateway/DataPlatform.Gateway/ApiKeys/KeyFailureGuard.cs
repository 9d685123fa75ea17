using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.Pipeline;
using DataPlatform.Gateway.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPlatform.Gateway.ApiKeys;

/// <summary>
/// Slows key guessing from one address. Each refused key (malformed, unknown, revoked, expired) is counted in Redis
/// per client address, so that every gateway instance adds to one count; the instance whose count reaches the
/// limit remembers the address until the window ends, and refuses its keyed requests without looking anything up.
/// </summary>
/// <remarks>
/// Only refusals cost a Redis call: a valid key's request checks an in-process table, which is empty unless some
/// address is being refused. Another instance learns of the address at its own next refusal (the shared count is
/// already over the limit), so with n instances an address gets at most <c>limit + n - 1</c> keys checked per
/// window. While Redis is away refusals are not counted; unknown keys then cannot be checked either (503).
/// </remarks>
sealed partial class KeyFailureGuard(
    IConnectionMultiplexer redis, RedisCircuitBreaker breaker, IOptions<GatewayOptions> options, TimeProvider time, ILogger<KeyFailureGuard> logger)
{
    const int MaxBlockedAddresses = 100_000;

    // INCR and PEXPIRE in one step, so that a window always ends even if a gateway stops between the two; the key
    // is the script's only key, declared in KEYS as Redis Cluster and Garnet require.
    const string CountScript = """
        local count = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[1])
          ttl = tonumber(ARGV[1])
        end
        return { count, ttl }
        """;

    readonly KeyFailureLimits _limits = options.Value.KeyFailures;
    readonly ConcurrentDictionary<string, DateTimeOffset> _blocked = new(StringComparer.Ordinal);

    /// <summary>True when the check is on.</summary>
    public bool Enabled => _limits.Limit > 0;

    /// <summary>
    /// Whether requests with a key from <paramref name="client"/> are refused now, and for how many seconds more.
    /// </summary>
    public bool IsBlocked(IPAddress? client, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        if (_blocked.IsEmpty)
        {
            return false;
        }

        var address = AnonymousPartition.Of(client);
        if (!_blocked.TryGetValue(address, out var until))
        {
            return false;
        }

        var left = until - time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            _blocked.TryRemove(new KeyValuePair<string, DateTimeOffset>(address, until));
            return false;
        }

        retryAfterSeconds = Math.Max(1, (int)Math.Ceiling(left.TotalSeconds));
        return true;
    }

    /// <summary>Counts one refused key from <paramref name="client"/>; at the limit, the address is refused until the window ends.</summary>
    public async Task CountAsync(IPAddress? client)
    {
        if (!Enabled || breaker.IsOpen)
        {
            return;
        }

        var partition = AnonymousPartition.Of(client);
        try
        {
            var window = (long)_limits.WindowSeconds * 1000;
            var pending = redis.GetDatabase().ScriptEvaluateAsync(
                CountScript, [RedisKeys.KeyFailures(partition)], [window.ToString(CultureInfo.InvariantCulture)]);
            var result = (RedisResult[])(await pending.WaitAsync(breaker.Timeout))!;
            var count = (long)result[0];
            var ttl = (long)result[1];
            if (count < _limits.Limit)
            {
                return;
            }

            if (_blocked.Count >= MaxBlockedAddresses)
            {
                var now = time.GetUtcNow();
                foreach (var (address, until) in _blocked)
                {
                    if (until <= now)
                    {
                        _blocked.TryRemove(address, out _);
                    }
                }
            }

            _blocked[partition] = time.GetUtcNow().AddMilliseconds(ttl);
            if (count == _limits.Limit)
            {
                LogBlocked(logger, partition, count, Math.Ceiling(ttl / 1000.0));
            }
        }
        catch (Exception exception) when (RedisCircuitBreaker.IsRedisFailure(exception))
        {
            LogNotCounted(logger, exception.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client {Address} sent {Count} refused API keys; its keyed requests are refused for {Seconds} s")]
    static partial void LogBlocked(ILogger logger, string address, long count, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A refused API key could not be counted ({Reason})")]
    static partial void LogNotCounted(ILogger logger, string reason);
}
