using DataPlatform.Billing.Storage;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Billing.ApiKeys;

/// <summary>
/// When each key was last used, as the gateway notes it in Redis (<see cref="RedisKeys.KeysLastUsed"/>), joined to
/// the key lists. The consumer of an account's keys is the account, so one hash read serves a whole list. Without
/// Redis the lists still answer, with no times.
/// </summary>
sealed partial class KeyUses(IConnectionMultiplexer redis, ILogger<KeyUses> logger)
{
    public async Task<IReadOnlyList<ApiKeyView>> ViewsAsync(string accountId, IEnumerable<ApiKey> keys, DateTimeOffset now)
    {
        var used = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in await redis.GetDatabase().HashGetAllAsync(RedisKeys.KeysLastUsed(accountId)))
            {
                if (entry.Value.TryParse(out long seconds))
                {
                    used[entry.Name.ToString()] = seconds;
                }
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogUnavailable(logger, e);
        }

        return keys.Select(k => ApiKeyView.From(k, now) with { LastUsedAt = used.TryGetValue(k.Id, out var s) ? UnixTime.At(s) : null }).ToList();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The keys' last use could not be read from Redis; the list shows none")]
    static partial void LogUnavailable(ILogger logger, Exception exception);
}
