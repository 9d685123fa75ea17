using DataPlatform.Catalog.Query;
using QueryColumnType = DataPlatform.Catalog.Query.ColumnType;

namespace DataPlatform.Catalog.Datasets;

/// <summary>
/// Serves the catalog's published datasets to the query core (OData and GraphQL): each dataset's current
/// version table and its typed columns. Query names are the columns' physical names (the CSV header folded to
/// ASCII, as <c>ma_tinh</c> for <c>Mã tỉnh</c>), because OData and GraphQL identifiers allow no spaces or
/// diacritics. Every column may be filtered and sorted on; the publisher's filterable flag decides which
/// columns carry an index.
/// </summary>
sealed class CatalogQueryableDatasets(DatasetStore store) : IQueryableDatasetSource
{
    public async ValueTask<QueryableDataset?> FindAsync(string datasetId, CancellationToken cancellationToken)
    {
        var dataset = await store.FindAsync(datasetId, cancellationToken);
        return dataset?.CurrentTable is null ? null : ToQueryable(dataset);
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
        dataset.Columns.Select(ToQueryable).ToArray());

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
