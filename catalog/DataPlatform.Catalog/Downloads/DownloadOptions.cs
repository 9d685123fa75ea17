using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Catalog.Downloads;

/// <summary>The settings of downloads, from <c>Catalog:Downloads</c>.</summary>
public sealed class DownloadOptions
{
    public const string SectionName = "Catalog:Downloads";

    /// <summary>
    /// Where materialised files are cached. Empty means <c>downloads</c> in the platform's data directory, which is
    /// also where the gateway looks for the files it is handed.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>Where the platform's signing keys are kept. Empty means <c>signing-keys</c> in the data directory.</summary>
    public string? SigningKeysDirectory { get; set; }

    /// <summary>How old the signing key may grow before files are signed with a new one.</summary>
    [Range(1, 3650)]
    public int RotateSigningKeyAfterDays { get; set; } = 90;

    /// <summary>
    /// Data rows per worksheet of an XLSX file. Excel holds 1,048,576 rows per sheet, one of which is the header;
    /// longer exports continue on further sheets.
    /// </summary>
    [Range(1, 1_048_575)]
    public int XlsxRowsPerSheet { get; set; } = 1_048_575;

    /// <summary>Rows per Parquet row group: each group carries its own statistics, and memory grows with its size.</summary>
    [Range(1, 10_000_000)]
    public int ParquetRowGroupSize { get; set; } = 128 * 1024;

    /// <summary>
    /// The formats whose whole-version file is built in the background as soon as a version is published, comma
    /// separated (csv, ndjson, json, parquet, xlsx), so that the first download is already a file send. Empty builds
    /// nothing ahead: each file is then built by its first download. CSV by default, because it is what most people
    /// download and the cheapest file to write; the others are built on demand.
    /// </summary>
    public string PrebuildFormats { get; set; } = "csv";

    /// <summary>How often cached files of dropped versions and deleted datasets are removed.</summary>
    [Range(1, 1440)]
    public int SweepEveryMinutes { get; set; } = 10;

    /// <summary>
    /// How often the downloads counted since the last write are added to the datasets' totals (the "most downloaded"
    /// order of search). Counts are kept in memory in between, so a crash loses at most this many seconds of them.
    /// </summary>
    [Range(1, 3600)]
    public int CountFlushSeconds { get; set; } = 5;
}
