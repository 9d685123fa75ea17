using DataPlatform.Catalog.Query;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// The cached file of a whole version as one view of it sees it: which file that is, and how it is written when it
/// is not cached yet. Downloads and the builds ahead of them at publish time both go through here, so that they make
/// and share the same file.
/// </summary>
sealed class WholeVersionFiles(ExportReader reader, MaterialisedFiles files, IOptions<DownloadOptions> options)
{
    /// <summary>
    /// The settings every export is written with; <paramref name="bom"/> and <paramref name="escapeFormulas"/> matter
    /// for CSV only.
    /// </summary>
    public ExportSettings Settings(bool bom, bool escapeFormulas) =>
        new(bom, escapeFormulas, options.Value.XlsxRowsPerSheet, options.Value.ParquetRowGroupSize);

    /// <summary>
    /// The file of <paramref name="view"/> (what a caller may see of <paramref name="version"/>) in
    /// <paramref name="format"/>, whose rows <paramref name="plan"/> reads; built first when it is not cached.
    /// </summary>
    public Task<MaterialisedFile> GetAsync(
        QueryableDataset version, QueryableDataset view, QueryPlan plan, DownloadFormat format, bool bom, bool escapeFormulas,
        CancellationToken cancellationToken)
    {
        // Callers who see the personal and sensitive columns get a file of their own; everyone else shares the public one.
        var withProtected = view.Columns.Count == version.Columns.Count && version.Columns.Any(c => c.IsProtected);
        var csv = format == DownloadFormat.Csv;
        var key = new FileKey(version.Id, view.Version, view.TableName, withProtected, format, !csv || bom, csv && escapeFormulas);
        var settings = Settings(bom, escapeFormulas);
        return files.GetAsync(key, async (stream, token) =>
        {
            // Building the cached file reads for no one in particular; serving it is audited per request.
            await using var rows = await reader.OpenAsync(plan with { Reader = QueryReader.DownloadCache }, token);
            await ExportWriters.WriteAsync(format, rows, stream, settings, token);
        }, cancellationToken);
    }
}
