using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.ConsumerContext;

namespace DataPlatform.Catalog.Query;

/// <summary>The value types a dataset column can hold, and so the types OData and GraphQL expose.</summary>
public enum ColumnType
{
    String,
    Integer,
    Decimal,
    Boolean,
    Date,
    DateTime,
}

/// <summary>How sensitive a column's values are; personal and sensitive columns need the dataset's entitlement.</summary>
public enum ColumnSensitivity
{
    Public,
    Personal,
    Sensitive,
}

/// <summary>One column of a dataset's current version, as the query core sees it.</summary>
/// <param name="Name">The public name used in OData and GraphQL (a valid identifier: letters, digits, underscore).</param>
/// <param name="SqlIdentifier">The column's name in the physical table; already sanitized, and always quoted.</param>
/// <param name="Type">The value type.</param>
/// <param name="Nullable">True when the column may hold nulls.</param>
/// <param name="Key">True when the column is part of the dataset's key.</param>
/// <param name="Filterable">True when the column may appear in filters, orderings and groupings.</param>
/// <param name="Sensitivity">Who may see the column.</param>
public sealed record QueryableColumn(
    string Name,
    string SqlIdentifier,
    ColumnType Type,
    bool Nullable = true,
    bool Key = false,
    bool Filterable = true,
    ColumnSensitivity Sensitivity = ColumnSensitivity.Public)
{
    /// <summary>
    /// The row id (<see cref="QueryableDataset.RowIdColumn"/>) as a column: what a front door offers when a dataset
    /// has no other way to name its rows (no visible key, or no visible column at all).
    /// </summary>
    public static readonly QueryableColumn RowId = new(QueryableDataset.RowIdColumn, QueryableDataset.RowIdColumn, ColumnType.Integer, Nullable: false, Key: true);

    /// <summary>True when only callers holding the dataset's entitlement may see the column.</summary>
    public bool IsProtected => Sensitivity != ColumnSensitivity.Public;
}

/// <summary>
/// A published dataset as the query front doors (OData, GraphQL) need it: the physical table of its current
/// version and the typed columns. The catalog's store provides these through <see cref="IQueryableDatasetSource"/>.
/// </summary>
/// <param name="Id">The dataset's slug, as in <c>/odata/{id}</c>.</param>
/// <param name="Title">The dataset's title, shown by the GraphQL <c>datasets</c> query.</param>
/// <param name="AccessLevel">Who may read the dataset.</param>
/// <param name="TableName">The physical table of the current version (sanitized; always quoted).</param>
/// <param name="Version">The current version number.</param>
/// <param name="RowCount">The number of rows in the current version, which answers an unfiltered <c>$count</c>.</param>
/// <param name="Columns">The columns in table order.</param>
public sealed record QueryableDataset(
    string Id,
    string Title,
    AccessLevel AccessLevel,
    string TableName,
    int Version,
    long RowCount,
    IReadOnlyList<QueryableColumn> Columns)
{
    /// <summary>The row id column every physical table has: integer, unique, ascending in load order.</summary>
    public const string RowIdColumn = "_row";

    /// <summary>The entitlement that opens a restricted dataset and the protected columns of any dataset.</summary>
    public string Entitlement => Entitlements.Dataset(Id);

    /// <summary>The data product a paid dataset belongs to (its subscribers may read it); <c>null</c> otherwise.</summary>
    public string? ProductId { get; init; }

    /// <summary>
    /// Why <paramref name="consumer"/> may not read this dataset's rows, or <c>null</c> when they may: a registered or
    /// paid dataset needs an API key, and a paid one a subscription to its product, the rule the gateway applies from
    /// the dataset's descriptor. The gateway refuses such OData requests before they arrive, but a GraphQL document
    /// names its datasets only in its body, so the query core checks every read itself. (A restricted dataset does
    /// not exist at all for a caller without its entitlement: see <see cref="VisibleTo"/>.)
    /// </summary>
    public QueryRefusal? RefusalFor(ConsumerContext consumer) =>
        AccessLevel == AccessLevel.Open ? null : new DatasetDescriptor(Id, AccessLevel, ProductId, Version).ReadRefusalFor(consumer) switch
        {
            ReadRefusal.ApiKeyRequired => new QueryRefusal(true, DatasetAccessProblem.AuthenticationRequired(Id).Detail),
            ReadRefusal.EntitlementRequired => new QueryRefusal(false, DatasetAccessProblem.SubscriptionRequired(Id, ProductId).Detail),
            _ => null,
        };

    /// <summary>
    /// The view of this dataset that a caller holding <paramref name="entitlements"/> may see: protected columns
    /// are removed unless the caller holds the dataset's entitlement; <c>null</c> when the dataset is restricted
    /// and the caller may not know it exists.
    /// </summary>
    public QueryableDataset? VisibleTo(IReadOnlyCollection<string> entitlements)
    {
        var entitled = entitlements.Contains(Entitlement);
        if (AccessLevel == AccessLevel.Restricted && !entitled)
        {
            return null;
        }

        return entitled || Columns.All(c => !c.IsProtected)
            ? this
            : this with { Columns = Columns.Where(c => !c.IsProtected).ToArray() };
    }

    /// <summary>The column named <paramref name="name"/> (exact, case-sensitive), or <c>null</c>.</summary>
    public QueryableColumn? Column(string name) => Columns.FirstOrDefault(c => c.Name == name);
}

/// <summary>Why a caller may not read a dataset's rows.</summary>
/// <param name="NeedsApiKey">True when any API key would do (the caller is anonymous); false when a subscription is missing.</param>
/// <param name="Message">What to tell the caller.</param>
public sealed record QueryRefusal(bool NeedsApiKey, string Message);

/// <summary>
/// Where the query core finds published datasets. The catalog's dataset store implements it; the default
/// registration knows no datasets, so OData answers 404 and GraphQL has only its <c>datasets</c> field until
/// the store is plugged in.
/// </summary>
public interface IQueryableDatasetSource
{
    /// <summary>The dataset's current version, or <c>null</c> when it does not exist or has no published version.</summary>
    ValueTask<QueryableDataset?> FindAsync(string datasetId, CancellationToken cancellationToken);

    /// <summary>Every dataset with a published version.</summary>
    ValueTask<IReadOnlyList<QueryableDataset>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Tells the query core that datasets changed (a publish, a schema change, a deletion), so the GraphQL schema is
/// rebuilt on the next request without a restart. The catalog calls <see cref="NotifyChanged"/> after each publish.
/// </summary>
public sealed class QueryableDatasetChanges
{
    long _generation;

    /// <summary>Increases on every change; caches compare it with the generation they were built at.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Raised after every change.</summary>
    public event Action? Changed;

    /// <summary>Records that datasets changed.</summary>
    public void NotifyChanged()
    {
        Interlocked.Increment(ref _generation);
        Changed?.Invoke();
    }
}

/// <summary>The source used until the catalog's store registers its own: it knows no datasets.</summary>
sealed class NoQueryableDatasets : IQueryableDatasetSource
{
    public ValueTask<QueryableDataset?> FindAsync(string datasetId, CancellationToken cancellationToken) => ValueTask.FromResult<QueryableDataset?>(null);

    public ValueTask<IReadOnlyList<QueryableDataset>> ListAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<QueryableDataset>>([]);
}
