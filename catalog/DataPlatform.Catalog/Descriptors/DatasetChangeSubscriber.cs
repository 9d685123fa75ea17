using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Catalog.Descriptors;

/// <summary>
/// Hears the dataset invalidations that every catalog instance publishes after a change, so the GraphQL schema of
/// each instance refreshes after a publish on any of them, with no restart.
/// </summary>
sealed partial class DatasetChangeSubscriber(IConnectionMultiplexer redis, QueryableDatasetChanges changes, ILogger<DatasetChangeSubscriber> logger) : IHostedService
{
    const string DatasetPrefix = "dataset:";

    static readonly RedisChannel _channel = RedisChannel.Literal(RedisKeys.InvalidationChannel);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(_channel, OnMessage);
        }
        catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
        {
            // A slow answer to SUBSCRIBE on a busy start must not stop the catalog: the multiplexer keeps the
            // subscription and re-subscribes when it reconnects, and cached lookups expire on their own meanwhile.
            LogSubscribeFailed(logger, exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to dataset invalidations yet: {Reason}")]
    static partial void LogSubscribeFailed(ILogger logger, string reason);

    public Task StopAsync(CancellationToken cancellationToken) => redis.GetSubscriber().UnsubscribeAsync(_channel, OnMessage);

    void OnMessage(RedisChannel channel, RedisValue message)
    {
        var text = (string?)message;
        if (text is not null && (text.StartsWith(DatasetPrefix, StringComparison.Ordinal) || text == Invalidation.All))
        {
            changes.NotifyChanged();
        }
    }
}
