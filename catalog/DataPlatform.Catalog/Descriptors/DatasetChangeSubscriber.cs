using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Catalog.Descriptors;

/// <summary>
/// Hears the dataset invalidations that every catalog instance publishes after a change, so the GraphQL schema of
/// each instance refreshes after a publish on any of them, with no restart.
/// </summary>
sealed class DatasetChangeSubscriber(IConnectionMultiplexer redis, QueryableDatasetChanges changes) : IHostedService
{
    const string DatasetPrefix = "dataset:";

    static readonly RedisChannel _channel = RedisChannel.Literal(RedisKeys.InvalidationChannel);

    public Task StartAsync(CancellationToken cancellationToken) => redis.GetSubscriber().SubscribeAsync(_channel, OnMessage);

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
