using System.Globalization;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Gateway.RateLimiting;

/// <summary>
/// Enforces a consumer's rate limits and monthly quotas with one atomic script call per request. The script
/// reads the Redis server's clock, so every gateway instance sees the same time, and it decides and counts
/// in one step, so concurrent requests on any number of instances cannot slip past a limit between a read
/// and a write.
/// </summary>
sealed class RedisLimiter(IConnectionMultiplexer redis)
{
    /// <summary>The hash, under the consumer's limiter prefix, that holds the limiter's state and the month's counts.</summary>
    public const string QuotaSuffix = "state";

    /// <summary>The quota hash field counting requests in a month (<c>yyyyMM</c>, Asia/Ho_Chi_Minh).</summary>
    public static string RequestsField(string month) => "requests:" + month;

    /// <summary>The quota hash field counting billable response bytes in a month.</summary>
    public static string BytesField(string month) => "bytes:" + month;

    static readonly LuaScript _script = LuaScript.Prepare(ReadScript("limiter.lua"));
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, RedisKey[]> _keys = new(StringComparer.Ordinal);

    /// <summary>The script text, loaded on each server at start so that requests use EVALSHA.</summary>
    public static LuaScript Script => _script;

    /// <summary>Decides one request of <paramref name="consumerId"/> under <paramref name="policy"/>.</summary>
    /// <param name="consumerId">The consumer: an account id, or <c>ip:&lt;address&gt;</c> for anonymous calls.</param>
    /// <param name="policy">The plan's limits.</param>
    /// <param name="nowMicroseconds">A fixed clock for tests of the month boundary; <c>null</c> uses the server's clock.</param>
    public async Task<LimitDecision> DecideAsync(string consumerId, LimitPolicy policy, long? nowMicroseconds = null)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(
            _script.ExecutableScript,
            KeysOf(consumerId),
            [
                nowMicroseconds is { } now ? now.ToString(CultureInfo.InvariantCulture) : RedisValue.EmptyString,
                policy.BurstPerSecond,
                policy.RequestsPerMinute,
                policy.MonthlyRequests,
                policy.MonthlyBytes,
            ]).ConfigureAwait(false);
        var values = (RedisResult[])result!;
        return new LimitDecision(
            (ViolatedPolicies)(int)values[0],
            (int)values[1],
            (int)values[2],
            (int)values[3],
            (int)values[4],
            (long)values[5],
            (long)values[6],
            (long)values[7],
            (long)values[8],
            (int)values[9],
            (string?)values[10]);
    }

    /// <summary>A consumer's limiter key, built once: the request path should not concatenate it each time.</summary>
    RedisKey[] KeysOf(string consumerId)
    {
        if (_keys.TryGetValue(consumerId, out var keys))
        {
            return keys;
        }

        if (_keys.Count > 100_000)
        {
            _keys.Clear();
        }

        var prefix = RedisKeys.LimiterPrefix(consumerId);
        return _keys[consumerId] = [prefix + QuotaSuffix];
    }

    static string ReadScript(string name)
    {
        using var stream = typeof(RedisLimiter).Assembly.GetManifestResourceStream("DataPlatform.Gateway." + name)
            ?? throw new InvalidOperationException($"The script {name} is missing from the gateway's assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Reads an embedded script.</summary>
    public static string Load(string name) => ReadScript(name);
}
