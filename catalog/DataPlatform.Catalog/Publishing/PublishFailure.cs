namespace DataPlatform.Catalog.Publishing;

/// <summary>One thing wrong with one row of an uploaded file.</summary>
/// <param name="Row">The data row, from 1 (the header is row 0).</param>
/// <param name="Line">The line of the file where the row starts, from 1, when known.</param>
/// <param name="Column">The column's name, when the error is about one column.</param>
/// <param name="Value">The offending value, cut to 200 characters.</param>
/// <param name="Reason">What is wrong, in a sentence.</param>
public sealed record RowError(long Row, long? Line, string? Column, string? Value, string Reason);

/// <summary>Why a publish was refused; turned into an RFC 9457 problem by the API.</summary>
sealed class PublishFailure(int status, string type, string title, string detail, IReadOnlyList<RowError>? errors = null, long errorCount = 0)
    : Exception(detail)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string Title { get; } = title;

    public IReadOnlyList<RowError>? Errors { get; } = errors;

    public long ErrorCount { get; } = errorCount;
}

/// <summary>The <c>type</c> URIs of the catalog's problems.</summary>
static class CatalogProblems
{
    public const string MalformedCsv = "/problems/malformed-csv";
    public const string TooManyColumns = "/problems/too-many-columns";
    public const string InvalidEncoding = "/problems/invalid-encoding";
    public const string EmptyFile = "/problems/empty-file";
    public const string FileTooLarge = "/problems/file-too-large";
    public const string InvalidRows = "/problems/invalid-rows";
    public const string DuplicateKeys = "/problems/duplicate-keys";
    public const string InvalidMetadata = "/problems/invalid-metadata";
    public const string InvalidDatasetId = "/problems/invalid-dataset-id";
    public const string PublisherRoleRequired = "/problems/publisher-role-required";
    public const string VersionNotRetained = "/problems/version-not-retained";
    public const string InvalidQuery = "/problems/invalid-query";
}
