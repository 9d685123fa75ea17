using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Gateway.ApiKeys;

/// <summary>
/// Subscribes to <see cref="RedisKeys.InvalidationChannel"/> and drops cached descriptors as billing and the
/// catalog announce changes. When the connection to Redis is restored every copy is dropped, because
/// messages published while this instance was away are lost.
/// </summary>
sealed partial class InvalidationListener(
    IConnectionMultiplexer redis, ApiKeyCache keys, DatasetCache datasets, ILogger<InvalidationListener> logger) : IHostedService
{
    const string KeyPrefix = "key:";
    const string DatasetPrefix = "dataset:";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), (_, message) => Apply(message));
        }
        catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
        {
            // The multiplexer re-subscribes by itself once Redis is reachable (and a slow answer on a busy start is
            // no reason to stop the gateway); until then copies simply expire.
            LogSubscribeFailed(logger, exception.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        return Task.CompletedTask;
    }

    void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        keys.Descriptors.Clear();
        datasets.Descriptors.Clear();
    }

    void Apply(RedisValue message)
    {
        var text = (string?)message;
        if (text is null)
        {
            return;
        }

        if (text == Invalidation.All)
        {
            keys.Descriptors.Clear();
            datasets.Descriptors.Clear();
        }
        else if (text.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            keys.Descriptors.Invalidate(text[KeyPrefix.Length..]);
        }
        else if (text.StartsWith(DatasetPrefix, StringComparison.Ordinal))
        {
            datasets.Descriptors.Invalidate(text[DatasetPrefix.Length..]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to invalidations yet: {Reason}")]
    static partial void LogSubscribeFailed(ILogger logger, string reason);
}
