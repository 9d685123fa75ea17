using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Datasets;

/// <summary>A column as callers see it; the physical name stays inside the catalog.</summary>
public sealed record ColumnView(string Name, ColumnType? Type, bool? Nullable, LocalizedText? Description, bool Key, bool Filterable, Sensitivity Sensitivity);

/// <summary>
/// A column the caller may not see (personal or sensitive data without the dataset's entitlement): named, so that a
/// reader knows it exists and what it would take, but with nothing of its content or type.
/// </summary>
public sealed record HiddenColumnView(string Name, Sensitivity Sensitivity);

/// <summary>A version as callers see it.</summary>
public sealed record VersionView(int Version, long RowCount, long Bytes, string Delimiter, DateTimeOffset PublishedAt, bool Retained);

/// <summary>Where a dataset can be read.</summary>
public sealed record DatasetLinks(string Self, string Rows, string OData, string GraphQL, string Download, string Dcat);

/// <summary>A dataset's catalog entry, with the schema the caller may see.</summary>
public sealed record DatasetView(
    string Id,
    LocalizedText Title,
    LocalizedText Description,
    Publisher Publisher,
    ContactPoint ContactPoint,
    IReadOnlyList<string> Themes,
    IReadOnlyList<string> Keywords,
    Licence Licence,
    AccessLevel AccessLevel,
    string? ProductId,
    string? AccrualPeriodicity,
    TemporalCoverage? Temporal,
    string? Spatial,
    string? Source,
    bool Synthetic,
    string? SyntheticDescription,
    DateTimeOffset Created,
    DateTimeOffset Modified,
    int CurrentVersion,
    long RowCount,
    long Downloads,
    IReadOnlyList<ColumnView> Columns,
    IReadOnlyList<HiddenColumnView> HiddenColumns,
    IReadOnlyList<VersionView>? Versions,
    DatasetLinks Links)
{
    /// <summary>
    /// The view of <paramref name="dataset"/> for a caller; personal and sensitive columns are only named, in
    /// <see cref="HiddenColumns"/>, unless <paramref name="seesProtected"/>.
    /// </summary>
    public static DatasetView From(Dataset dataset, bool seesProtected, IReadOnlyList<DatasetVersion>? versions, string baseUrl)
    {
        var m = dataset.Metadata;
        var all = dataset.CurrentVersion > 0
            ? dataset.Columns.Select(c => new ColumnView(c.Name, c.Type, c.Nullable, c.Description, c.Key, c.Filterable, c.Sensitivity))
            : m.Columns.Select(c => new ColumnView(c.Name, c.Type, c.Nullable, c.Description, c.Key, c.Filterable, c.Sensitivity));
        var columns = new List<ColumnView>();
        var hidden = new List<HiddenColumnView>();
        foreach (var column in all)
        {
            if (seesProtected || column.Sensitivity == Sensitivity.Public)
            {
                columns.Add(column);
            }
            else
            {
                hidden.Add(new HiddenColumnView(column.Name, column.Sensitivity));
            }
        }

        return new DatasetView(
            dataset.Id, m.Title, m.Description, m.Publisher, m.ContactPoint, m.Themes, m.Keywords, m.Licence, m.AccessLevel,
            m.AccessLevel == AccessLevel.Paid ? m.ProductId : null, m.AccrualPeriodicity, m.Temporal, m.Spatial, m.Source, m.Synthetic,
            m.SyntheticDescription, dataset.Created, dataset.Modified, dataset.CurrentVersion, dataset.RowCount, dataset.Downloads, columns, hidden,
            versions?.Select(v => new VersionView(v.Version, v.RowCount, v.Bytes, v.Delimiter, v.PublishedAt, v.Retained)).ToList(),
            LinksFor(dataset.Id, baseUrl));
    }

    public static DatasetLinks LinksFor(string id, string baseUrl)
    {
        var root = baseUrl.TrimEnd('/');
        var escaped = Uri.EscapeDataString(id);
        return new DatasetLinks(
            $"{root}/api/v1/datasets/{escaped}",
            $"{root}/api/v1/datasets/{escaped}/rows",
            $"{root}/odata/{escaped}",
            $"{root}/graphql",
            $"{root}/api/v1/datasets/{escaped}/download.csv",
            $"{root}/catalog/datasets/{escaped}.jsonld");
    }
}

/// <summary>A page of search results with facets.</summary>
public sealed record DatasetSearchView(long Total, int Offset, int Limit, IReadOnlyList<DatasetView> Items, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets);
