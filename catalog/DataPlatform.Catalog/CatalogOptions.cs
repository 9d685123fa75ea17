using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Catalog;

/// <summary>The catalog's settings, from the <c>Catalog</c> configuration section.</summary>
public sealed class CatalogOptions
{
    public const string SectionName = "Catalog";

    /// <summary>The largest CSV a publish accepts, in bytes. Larger uploads get 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>How many row-level errors a failed publish reports.</summary>
    [Range(1, 1000)]
    public int MaxReportedErrors { get; set; } = 20;

    /// <summary>
    /// The most columns a published file may have. Each version is one table with one hidden column (the row
    /// number) besides the file's, and PostgreSQL allows 1600 columns a table (SQLite 2000 by default), so the
    /// setting stops at 1599. The default stays well below: PostgreSQL also refuses a row wider than one 8 kB
    /// page, which a thousand typed columns approach.
    /// </summary>
    [Range(1, 1599)]
    public int MaxColumns { get; set; } = 1000;

    /// <summary>How many versions keep their rows; older versions' tables are dropped.</summary>
    [Range(1, 1000)]
    public int RetainedVersions { get; set; } = 5;

    /// <summary>Where uploads are spooled while they are checked and loaded; empty means the system temp folder.</summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>
    /// Whether the sample datasets load at start-up when the catalog is empty. Empty means "in embedded mode
    /// only"; production loads them with the <c>seed</c> command.
    /// </summary>
    public bool? SeedSampleData { get; set; }

    /// <summary>The largest page the rows and search endpoints return.</summary>
    [Range(1, 100_000)]
    public int MaxPageSize { get; set; } = 1000;
}
