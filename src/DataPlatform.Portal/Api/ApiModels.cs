using System.Globalization;
using System.Text.Json;

namespace DataPlatform.Portal.Api;

// The shapes of the public API's answers that the pages read, as any outside client would declare them. Enums
// arrive as camelCase strings and stay strings here: the portal shows them, it does not decide with them.

internal sealed record LocalizedText(string? Vi, string? En)
{
    /// <summary>The text in the page's language, falling back to the other one.</summary>
    public string For(CultureInfo culture) =>
        (culture.TwoLetterISOLanguageName == "en" ? En ?? Vi : Vi ?? En) ?? "";
}

internal sealed record PublisherView(string? Id, string? Name, string? NameEn, string? Url)
{
    public string For(CultureInfo culture) => (culture.TwoLetterISOLanguageName == "en" ? NameEn ?? Name : Name) ?? Id ?? "";
}

internal sealed record ContactView(string? Name, string? Email, string? Phone);

internal sealed record LicenceView(string? Id, string? Url);

internal sealed record TemporalView(DateOnly? Start, DateOnly? End);

internal sealed record ColumnView(string Name, string? Type, bool? Nullable, LocalizedText? Description, bool Key, bool Filterable, string? Sensitivity)
{
    public bool IsNumeric => Type is "integer" or "decimal";

    public bool IsTime => Type is "date" or "datetime";

    public bool IsProtected => Sensitivity is "personal" or "sensitive";
}

internal sealed record VersionView(int Version, long RowCount, long Bytes, string? Delimiter, DateTimeOffset PublishedAt, bool Retained);

internal sealed record DatasetLinks(string? Self, string? Rows, string? OData, string? GraphQL, string? Download, string? Dcat);

internal sealed record DatasetView(
    string Id,
    LocalizedText Title,
    LocalizedText Description,
    PublisherView Publisher,
    ContactView? ContactPoint,
    IReadOnlyList<string> Themes,
    IReadOnlyList<string> Keywords,
    LicenceView? Licence,
    string AccessLevel,
    string? ProductId,
    string? AccrualPeriodicity,
    TemporalView? Temporal,
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
    IReadOnlyList<HiddenColumnView>? HiddenColumns,
    IReadOnlyList<VersionView>? Versions,
    DatasetLinks? Links)
{
    public bool IsOpen => AccessLevel == "open";
}

/// <summary>A personal or sensitive column this visitor may not see: only its name and why.</summary>
internal sealed record HiddenColumnView(string Name, string Sensitivity);

internal sealed record FacetValue(string Value, string? Label, long Count);

internal sealed record SearchView(long Total, int Offset, int Limit, IReadOnlyList<DatasetView> Items, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets);

internal sealed record DataProductView(string Id, string Name, string? Description, long MonthlyFee, IReadOnlyList<string> Datasets);

/// <summary>A page of OData records: each row as the JSON object the API sent, and the keyset token of the next page.</summary>
internal sealed record RecordsPage(IReadOnlyList<JsonElement> Rows, string? NextSkipToken);

/// <summary>A whole file's size and SHA-256, as the download endpoints publish them.</summary>
internal sealed record DownloadFile(string Format, long? Bytes, string? Sha256);

/// <summary>One bar of a chart: a category or time, and the aggregated number.</summary>
internal sealed record ChartPoint(string Label, double Value);
