using System.Text.Json.Serialization;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Datasets;

/// <summary>The types a column can have; values are parsed with the invariant culture.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ColumnType>))]
public enum ColumnType
{
    String,
    Integer,
    Decimal,
    Boolean,
    Date,
    Datetime,
}

/// <summary>How a column is protected, after the split of personal data in Decree 13/2023/NĐ-CP.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Sensitivity>))]
public enum Sensitivity
{
    /// <summary>Not personal data.</summary>
    Public,

    /// <summary>Basic personal data (name, date of birth, contact details …).</summary>
    Personal,

    /// <summary>Sensitive personal data (health, political views, criminal records, finances …).</summary>
    Sensitive,
}

/// <summary>A text in Vietnamese and in English.</summary>
public sealed record LocalizedText(string? Vi, string? En);

/// <summary>The organisation that publishes a dataset.</summary>
public sealed record Publisher(string? Id, string? Name, string? NameEn = null, string? Url = null);

/// <summary>Whom to ask about a dataset.</summary>
public sealed record ContactPoint(string? Name, string? Email, string? Phone = null);

/// <summary>A licence: a short id such as <c>CC-BY-4.0</c> and the URL of its text.</summary>
public sealed record Licence(string? Id, string? Url);

/// <summary>The period the data covers; either end may be open.</summary>
public sealed record TemporalCoverage(DateOnly? Start, DateOnly? End);

/// <summary>What a publisher says about one column; anything left out is inferred from the file.</summary>
public sealed record ColumnDefinition(
    string Name,
    ColumnType? Type = null,
    bool? Nullable = null,
    LocalizedText? Description = null,
    bool Key = false,
    bool Filterable = false,
    Sensitivity Sensitivity = Sensitivity.Public);

/// <summary>The catalog entry of a dataset as its publisher writes it.</summary>
public sealed record DatasetMetadata(
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
    IReadOnlyList<ColumnDefinition> Columns);

/// <summary>
/// A column of a published version: its public name, the generated name of its SQL column, and its type.
/// </summary>
public sealed record DatasetColumn(
    string Name,
    string PhysicalName,
    ColumnType Type,
    bool Nullable,
    LocalizedText? Description,
    bool Key,
    bool Filterable,
    Sensitivity Sensitivity)
{
    /// <summary>True for personal and sensitive columns, which only entitled callers see.</summary>
    [JsonIgnore]
    public bool IsProtected => Sensitivity != Sensitivity.Public;
}

/// <summary>A dataset as stored: its metadata, the current version's schema and its physical table.</summary>
/// <param name="Id">The URL-safe slug.</param>
/// <param name="StorageKey">The random key its tables are named from.</param>
/// <param name="Metadata">The publisher's metadata.</param>
/// <param name="Columns">The current version's schema, or the declared one before the first publish.</param>
/// <param name="CurrentVersion">The version served now, or 0 before the first publish.</param>
/// <param name="CurrentTable">The physical table of the current version, or <c>null</c> before the first publish.</param>
/// <param name="RowCount">The exact row count of the current version, stored at publish time.</param>
/// <param name="Created">When the dataset was created.</param>
/// <param name="Modified">When its metadata or data last changed.</param>
public sealed record Dataset(
    string Id,
    string StorageKey,
    DatasetMetadata Metadata,
    IReadOnlyList<DatasetColumn> Columns,
    int CurrentVersion,
    string? CurrentTable,
    long RowCount,
    DateTimeOffset Created,
    DateTimeOffset Modified)
{
    /// <summary>How many times the dataset's files have been downloaded (counted in batches; see <c>DownloadCounter</c>).</summary>
    public long Downloads { get; init; }

    /// <summary>The descriptor the gateway authorizes with.</summary>
    public DatasetDescriptor ToDescriptor() => new(
        Id, Metadata.AccessLevel, Metadata.AccessLevel == AccessLevel.Paid ? Metadata.ProductId : null, CurrentVersion);
}

/// <summary>One published version of a dataset.</summary>
/// <param name="Version">The version number, from 1.</param>
/// <param name="TableName">Its physical table, or <c>null</c> once retention dropped it.</param>
/// <param name="RowCount">The exact number of rows, counted while loading.</param>
/// <param name="Columns">Its schema.</param>
/// <param name="Delimiter">The delimiter detected in the file.</param>
/// <param name="Bytes">The size of the file.</param>
/// <param name="PublishedAt">When it became current.</param>
/// <param name="PublishedBy">The consumer id that published it.</param>
public sealed record DatasetVersion(
    int Version,
    string? TableName,
    long RowCount,
    IReadOnlyList<DatasetColumn> Columns,
    string Delimiter,
    long Bytes,
    DateTimeOffset PublishedAt,
    string PublishedBy)
{
    /// <summary>True while the version's rows are kept and can be read.</summary>
    public bool Retained => TableName is not null;
}
