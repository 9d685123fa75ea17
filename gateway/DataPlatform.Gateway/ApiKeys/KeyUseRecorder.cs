using System.Collections.Concurrent;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.RateLimiting;
using StackExchange.Redis;

namespace DataPlatform.Gateway.ApiKeys;

/// <summary>
/// Notes when each API key was last used, for the key lists people read in their account
/// (<see cref="RedisKeys.KeysLastUsed"/>). A minute is precise enough for that, so each instance writes a key's time
/// at most once a minute, without waiting for the answer: a busy key costs one Redis command a minute, not one a call.
/// </summary>
sealed class KeyUseRecorder(IConnectionMultiplexer redis, RedisCircuitBreaker breaker)
{
    const long IntervalSeconds = 60;

    // One entry per key seen; cleared when it grows past what a gateway's active keys can explain.
    const int MaxEntries = 100_000;
    readonly ConcurrentDictionary<string, long> _written = new(StringComparer.Ordinal);

    public void Record(ApiKeyDescriptor descriptor, DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        if (_written.TryGetValue(descriptor.KeyId, out var last) && seconds - last < IntervalSeconds)
        {
            return;
        }

        if (_written.Count >= MaxEntries)
        {
            _written.Clear();
        }

        _written[descriptor.KeyId] = seconds;
        if (breaker.IsOpen)
        {
            return;
        }

        redis.GetDatabase().HashSet(RedisKeys.KeysLastUsed(descriptor.ConsumerId), descriptor.KeyId, seconds, flags: CommandFlags.FireAndForget);
    }
}
