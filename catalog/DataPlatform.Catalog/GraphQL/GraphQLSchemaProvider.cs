using System.Collections.Concurrent;
using DataPlatform.Catalog.Query;
using GraphQL.Types;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.GraphQL;

/// <summary>
/// Keeps the generated schemas: one per set of dataset entitlements (callers who may see the same datasets and
/// columns share a schema). A publish (<see cref="QueryableDatasetChanges"/>) drops them all, so the next request
/// sees the new dataset without a restart; they are also rebuilt after a minute, in case a change went unannounced.
/// </summary>
sealed class GraphQLSchemaProvider(
    IQueryableDatasetSource source, QueryableDatasetChanges changes, QueryExecutor executor, IOptions<QueryOptions> options, TimeProvider time)
{
    static readonly TimeSpan _maxAge = TimeSpan.FromMinutes(1);
    readonly ConcurrentDictionary<string, (long Generation, DateTimeOffset BuiltAt, Task<ISchema> Schema)> _schemas = new(StringComparer.Ordinal);

    public async Task<ISchema> GetAsync(IReadOnlyList<string> entitlements, CancellationToken cancellationToken)
    {
        var key = string.Join("\n", entitlements.Where(e => e.StartsWith("dataset:", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var generation = changes.Generation;
        var now = time.GetUtcNow();
        if (_schemas.TryGetValue(key, out var cached) && cached.Generation == generation && now - cached.BuiltAt < _maxAge && !cached.Schema.IsFaulted)
        {
            return await cached.Schema;
        }

        if (_schemas.Count > 1_000)
        {
            _schemas.Clear();
        }

        var build = BuildAsync(entitlements, cancellationToken);
        _schemas[key] = (generation, now, build);
        return await build;
    }

    async Task<ISchema> BuildAsync(IReadOnlyList<string> entitlements, CancellationToken cancellationToken)
    {
        var datasets = await source.ListAsync(cancellationToken);
        var views = datasets.Select(d => d.VisibleTo(entitlements)).OfType<QueryableDataset>().ToList();
        var schema = GraphQLSchemaBuilder.Build(views, executor, options.Value);
        schema.Initialize();
        return schema;
    }
}
