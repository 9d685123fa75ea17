namespace DataPlatform.Catalog.Downloads;

/// <summary>The file formats a dataset downloads in.</summary>
enum DownloadFormat
{
    Csv,
    Ndjson,
    Json,
    Parquet,
    Xlsx,
}

/// <summary>What clients see of each format: its extension and media type.</summary>
static class DownloadFormats
{
    public const string Supported = "csv, ndjson, json, parquet, xlsx";

    public static bool TryParse(string extension, out DownloadFormat format)
    {
        switch (extension)
        {
            case "csv": format = DownloadFormat.Csv; return true;
            case "ndjson": format = DownloadFormat.Ndjson; return true;
            case "json": format = DownloadFormat.Json; return true;
            case "parquet": format = DownloadFormat.Parquet; return true;
            case "xlsx": format = DownloadFormat.Xlsx; return true;
            default: format = default; return false;
        }
    }

    /// <summary>A comma-separated list of extensions (spaces allowed, empty for none), or <c>null</c> when one is not a format.</summary>
    public static IReadOnlyList<DownloadFormat>? TryParseList(string? list)
    {
        var formats = new List<DownloadFormat>();
        foreach (var extension in (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParse(extension, out var format))
            {
                return null;
            }

            formats.Add(format);
        }

        return formats.Distinct().ToList();
    }

    public static string Extension(this DownloadFormat format) => format switch
    {
        DownloadFormat.Csv => "csv",
        DownloadFormat.Ndjson => "ndjson",
        DownloadFormat.Json => "json",
        DownloadFormat.Parquet => "parquet",
        _ => "xlsx",
    };

    public static string MediaType(this DownloadFormat format) => format switch
    {
        // RFC 4180 with the optional header parameter (RFC 7111 registration): the first line names the columns.
        DownloadFormat.Csv => "text/csv; charset=utf-8; header=present",
        DownloadFormat.Ndjson => "application/x-ndjson; charset=utf-8",
        DownloadFormat.Json => "application/json; charset=utf-8",
        DownloadFormat.Parquet => "application/vnd.apache.parquet",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };

    /// <summary>True for the formats worth compressing on the fly; Parquet and XLSX are compressed already.</summary>
    public static bool IsText(this DownloadFormat format) => format is DownloadFormat.Csv or DownloadFormat.Ndjson or DownloadFormat.Json;
}
