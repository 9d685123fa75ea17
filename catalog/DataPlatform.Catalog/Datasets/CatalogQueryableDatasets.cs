using System.Collections.Concurrent;
using DataPlatform.Catalog.Query;
using QueryColumnType = DataPlatform.Catalog.Query.ColumnType;

namespace DataPlatform.Catalog.Datasets;

/// <summary>
/// Serves the catalog's published datasets to the query core (OData and GraphQL): each dataset's current
/// version table and its typed columns. Query names are the columns' physical names (the CSV header folded to
/// ASCII, as <c>ma_tinh</c> for <c>Mã tỉnh</c>), because OData and GraphQL identifiers allow no spaces or
/// diacritics. Every column may be filtered and sorted on; the publisher's filterable flag decides which
/// columns carry an index.
/// <para>
/// Lookups are cached per dataset until the next change (<see cref="QueryableDatasetChanges"/>, which every publish,
/// metadata change and deletion raises on this instance and, through Redis, on the others), and for at most
/// thirty seconds in case an announcement was lost, so a query does not read the catalog tables first.
/// </para>
/// </summary>
sealed class CatalogQueryableDatasets(DatasetStore store, QueryableDatasetChanges changes, TimeProvider time) : IQueryableDatasetSource
{
    static readonly TimeSpan _maxAge = TimeSpan.FromSeconds(30);
    readonly ConcurrentDictionary<string, (long Generation, DateTimeOffset LoadedAt, QueryableDataset? Dataset)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<QueryableDataset?> FindAsync(string datasetId, CancellationToken cancellationToken)
    {
        // Ids no dataset can have are not cached, so a stream of made-up ids cannot keep emptying the cache.
        if (!MetadataRules.IsValidId(datasetId))
        {
            return null;
        }

        // The generation is read before the load: a change that lands during it makes the entry stale at once.
        var generation = changes.Generation;
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(datasetId, out var cached) && cached.Generation == generation && now - cached.LoadedAt < _maxAge)
        {
            return cached.Dataset;
        }

        var dataset = await store.FindAsync(datasetId, cancellationToken);
        var queryable = dataset?.CurrentTable is null ? null : ToQueryable(dataset);
        if (_cache.Count >= 10_000)
        {
            _cache.Clear();
        }

        _cache[datasetId] = (generation, now, queryable);
        return queryable;
    }

    public async ValueTask<IReadOnlyList<QueryableDataset>> ListAsync(CancellationToken cancellationToken)
    {
        var datasets = await store.ListAllAsync(cancellationToken);
        return datasets.Where(d => d.CurrentTable is not null).Select(ToQueryable).ToArray();
    }

    static QueryableDataset ToQueryable(Dataset dataset) => new(
        dataset.Id,
        dataset.Metadata.Title.Vi ?? dataset.Metadata.Title.En ?? dataset.Id,
        dataset.Metadata.AccessLevel,
        dataset.CurrentTable!,
        dataset.CurrentVersion,
        dataset.RowCount,
        dataset.Columns.Select(ToQueryable).ToArray())
    {
        ProductId = dataset.ToDescriptor().ProductId,
    };

    internal static QueryableColumn ToQueryable(DatasetColumn column) => new(
        column.PhysicalName,
        column.PhysicalName,
        column.Type switch
        {
            ColumnType.String => QueryColumnType.String,
            ColumnType.Integer => QueryColumnType.Integer,
            ColumnType.Decimal => QueryColumnType.Decimal,
            ColumnType.Boolean => QueryColumnType.Boolean,
            ColumnType.Date => QueryColumnType.Date,
            _ => QueryColumnType.DateTime,
        },
        column.Nullable,
        column.Key,
        Filterable: true,
        column.Sensitivity switch
        {
            Sensitivity.Public => ColumnSensitivity.Public,
            Sensitivity.Personal => ColumnSensitivity.Personal,
            _ => ColumnSensitivity.Sensitive,
        });
}
