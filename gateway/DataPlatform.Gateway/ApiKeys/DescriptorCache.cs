using System.Collections.Concurrent;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.Pipeline;
using DataPlatform.Gateway.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPlatform.Gateway.ApiKeys;

/// <summary>The outcome of a descriptor lookup.</summary>
enum LookupOutcome
{
    /// <summary>Redis (or a fresh cached copy) answered; the value may be <c>null</c> for "no such descriptor".</summary>
    Found,

    /// <summary>Redis could not be asked and no copy was ever cached.</summary>
    Unavailable,
}

/// <summary>
/// An in-process cache of the descriptors that billing and the catalog write to Redis. Copies live for a few
/// seconds; an invalidation on <see cref="RedisKeys.InvalidationChannel"/> drops one at once, so a revoked key
/// stops working on every instance as fast as pub/sub delivers. While Redis is unreachable, the last copy
/// keeps being used, because a stale plan is better than refusing every caller.
/// </summary>
sealed class DescriptorCache<T>(
    Func<string, string> redisKey,
    IConnectionMultiplexer redis,
    RedisCircuitBreaker breaker,
    IOptions<GatewayOptions> options,
    TimeProvider time) where T : class
{
    sealed record Entry(T? Value, long FreshUntil);

    readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    readonly long _lifetime = (long)(options.Value.DescriptorCacheSeconds * time.TimestampFrequency);
    long _generation;

    /// <summary>The descriptor stored under <paramref name="id"/>, from the cache when fresh.</summary>
    public async ValueTask<(LookupOutcome Outcome, T? Value)> GetAsync(string id)
    {
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(id, out var entry) && entry.FreshUntil > now)
        {
            return (LookupOutcome.Found, entry.Value);
        }

        if (!breaker.TryEnter())
        {
            return entry is null ? (LookupOutcome.Unavailable, null) : (LookupOutcome.Found, entry.Value);
        }

        // An invalidation that arrives while this read is on its way must win over what the read returns.
        var generation = Volatile.Read(ref _generation);
        try
        {
            var json = await redis.GetDatabase().StringGetAsync(redisKey(id)).WaitAsync(breaker.Timeout);
            breaker.Succeeded();
            var value = ContractJson.Deserialize<T>(json.IsNull ? null : json.ToString());
            if (Volatile.Read(ref _generation) == generation)
            {
                _entries[id] = new Entry(value, time.GetTimestamp() + _lifetime);
            }

            return (LookupOutcome.Found, value);
        }
        catch (Exception exception) when (RedisCircuitBreaker.IsRedisFailure(exception))
        {
            breaker.Failed(exception);
            return entry is null ? (LookupOutcome.Unavailable, null) : (LookupOutcome.Found, entry.Value);
        }
        catch (System.Text.Json.JsonException)
        {
            // A descriptor this gateway cannot read is treated as absent rather than failing the request.
            return (LookupOutcome.Found, null);
        }
    }

    /// <summary>Drops one cached copy.</summary>
    public void Invalidate(string id)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(id, out _);
    }

    /// <summary>Drops every cached copy.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }
}

/// <summary>The API-key descriptors, looked up by the key's SHA-256.</summary>
sealed class ApiKeyCache(IConnectionMultiplexer redis, RedisCircuitBreaker breaker, IOptions<GatewayOptions> options, TimeProvider time)
{
    public DescriptorCache<ApiKeyDescriptor> Descriptors { get; } = new(RedisKeys.ApiKey, redis, breaker, options, time);
}

/// <summary>The dataset descriptors, looked up by dataset id.</summary>
sealed class DatasetCache(IConnectionMultiplexer redis, RedisCircuitBreaker breaker, IOptions<GatewayOptions> options, TimeProvider time)
{
    public DescriptorCache<DatasetDescriptor> Descriptors { get; } = new(RedisKeys.Dataset, redis, breaker, options, time);
}
