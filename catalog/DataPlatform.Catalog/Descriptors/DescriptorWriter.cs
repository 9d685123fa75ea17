using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Query;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Catalog.Descriptors;

/// <summary>
/// Writes each dataset's <see cref="DatasetDescriptor"/> to Redis and announces the change, so the gateway
/// authorizes calls without asking the catalog. A failed write is logged, not fatal: the database stays the
/// truth, and the next start rewrites every descriptor.
/// </summary>
public sealed partial class DescriptorWriter(
    IConnectionMultiplexer redis, QueryableDatasetChanges changes, ILogger<DescriptorWriter> logger)
{
    public Task WriteAsync(Dataset dataset, CancellationToken cancellationToken) => WriteAsync(dataset.ToDescriptor(), cancellationToken);

    /// <summary>Marks a deleted dataset, so the gateway answers 404 for it at once.</summary>
    public Task WriteDeletedAsync(Dataset dataset, CancellationToken cancellationToken) =>
        WriteAsync(dataset.ToDescriptor() with { Deleted = true }, cancellationToken);

    async Task WriteAsync(DatasetDescriptor descriptor, CancellationToken cancellationToken)
    {
        // This instance's query schema changes at once; other instances hear of it through the invalidation below.
        changes.NotifyChanged();
        try
        {
            var database = redis.GetDatabase();
            await database.StringSetAsync(RedisKeys.Dataset(descriptor.DatasetId), ContractJson.Serialize(descriptor)).WaitAsync(cancellationToken);
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), Invalidation.Dataset(descriptor.DatasetId))
                .WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogWriteFailed(logger, descriptor.DatasetId, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the descriptor of dataset {DatasetId}; the next start repairs it")]
    static partial void LogWriteFailed(ILogger logger, string datasetId, Exception exception);
}
