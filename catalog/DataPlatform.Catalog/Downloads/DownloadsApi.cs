using System.Data.Common;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Publishing;
using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.Contracts.Downloads;
using DataPlatform.Contracts.Problems;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// Downloads of a dataset version as CSV, NDJSON, JSON, Parquet or XLSX. A download of a whole version is a cached,
/// signed file served with ranges and validators; a download narrowed by a filter or a column choice streams from
/// the database. Access rules are the query core's: the same 401/403/404, the same hidden columns.
/// </summary>
public static partial class DownloadsApi
{
    public static IEndpointRouteBuilder MapDownloadsApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/v1/datasets/{id}/download.{format}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync)
            .WithTags("Downloads").WithName("DownloadDataset")
            .WithSummary("The dataset as csv, ndjson, json, parquet or xlsx (append .sha256 or .jws for the digest or signature of a whole version), " +
                "with ?version=, $filter, $select or columns=, $orderby, and bom=false for CSV without a byte order mark.");
        app.MapGet("/.well-known/jwks.json", Jwks)
            .WithTags("Downloads").WithName("GetDownloadSigningKeys")
            .WithSummary("The public keys (JWKS, RFC 7517) that verify the detached ES256 signatures of downloads.");
        return app;
    }

    static async Task<IResult> DownloadAsync(
        string id, string format, HttpContext context, DatasetStore store, ExportReader reader, WholeVersionFiles files,
        QueryAuditLog audit, CancellationToken cancellationToken)
    {
        var parts = format.Split('.');
        var companion = parts is [_, "sha256" or "jws"] ? parts[1] : null;
        if (parts.Length > (companion is null ? 1 : 2) || !DownloadFormats.TryParse(parts[0], out var downloadFormat))
        {
            return Problem(StatusCodes.Status400BadRequest, DownloadProblems.UnknownFormat, "Unknown download format",
                $"'{Truncate(format)}' is not a download format. Use download.csv, .ndjson, .json, .parquet or .xlsx; append .sha256 or .jws for a whole version's digest or signature.");
        }

        var dataset = await store.FindAsync(id, cancellationToken);
        if (dataset is null || !CallerAccess.Visibility(context).Sees(dataset))
        {
            return CallerAccess.NotFound(id);
        }

        if (CallerAccess.RequireRowAccess(context, dataset) is { } refused)
        {
            return refused;
        }

        var (source, problem) = await VersionAsync(dataset, context.Request.Query["version"].ToString(), store, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!TryBom(context.Request.Query["bom"].ToString(), out var bom))
        {
            return Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "Invalid query",
                "bom must be true or false: true (the default) starts a CSV with the UTF-8 byte order mark that Excel needs to show Vietnamese.");
        }

        var consumer = context.GetConsumer();
        var view = source!.VisibleTo(consumer.Entitlements)!;
        ExportRequest request;
        try
        {
            request = ExportRequests.Parse(view, context.Request.Query
                .Where(q => q.Key is not ("version" or "bom" or "api_key"))
                .Select(q => new KeyValuePair<string, string>(q.Key, q.Value.ToString())));
        }
        catch (QueryException e)
        {
            return Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "Invalid filter or column selection", e.Message, ("target", e.Target));
        }

        if (companion is not null && !request.Full)
        {
            return Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "No signature for a filtered download",
                "Digests and signatures exist for whole versions only. Leave out $filter, $select and the other options, or verify a filtered export against the signed whole file.");
        }

        var audited = view.AccessLevel == AccessLevel.Restricted && !HttpMethods.IsHead(context.Request.Method);
        var query = context.Request.Path + context.Request.QueryString;
        var open = view.AccessLevel == AccessLevel.Open;
        if (!request.Full)
        {
            // How many rows a filter lets through is known only once the export has run, so its audit entry is written
            // when the export ends: finished, failed or abandoned, with the rows that were read for the client.
            Func<long, Task>? recordRows = audited ? rows => audit.RecordAsync(consumer, id, "download", query, rows, CancellationToken.None) : null;
            return new StreamedExport(reader, request.Plan, downloadFormat, files.Settings(bom), $"{id}-v{view.Version}-export.{downloadFormat.Extension()}", open, recordRows);
        }

        if (audited)
        {
            await audit.RecordAsync(consumer, id, "download", query, view.RowCount, cancellationToken);
        }

        var file = await files.GetAsync(source, view, request.Plan, downloadFormat, bom, cancellationToken);
        context.Response.Headers.CacheControl = open ? "public, max-age=3600" : "private, max-age=3600";
        return companion switch
        {
            "sha256" => TypedResults.Text(file.Sha256File, "text/plain; charset=utf-8"),
            "jws" => TypedResults.Text(file.Jws + "\n", "application/jose; charset=utf-8"),
            _ => Serve(context, file),
        };
    }

    static IResult Serve(HttpContext context, MaterialisedFile file)
    {
        var headers = context.Response.Headers;
        // RFC 9530: the digest of the whole file, whatever range this response carries.
        headers["Repr-Digest"] = "sha-256=:" + Convert.ToBase64String(Convert.FromHexString(file.Sha256)) + ":";
        var mediaType = file.Key.Format.MediaType();
        if (context.Request.Headers[FileHandoff.OfferHeader] == FileHandoff.OfferValue && context.Request.Headers.ContainsKey(ConsumerContextHeader.Name))
        {
            // The gateway signed this request and can read the downloads folder: it sends the file itself, evaluating
            // Range and the conditional headers against these validators.
            headers[FileHandoff.FileHeader] = file.Key.RelativePath;
            headers.ETag = file.EntityTag;
            headers.LastModified = file.LastModified.ToString("R");
            headers.ContentDisposition = Disposition(file.Key.DownloadName);
            return TypedResults.Bytes([], mediaType);
        }

        return TypedResults.PhysicalFile(file.FullPath, mediaType, file.Key.DownloadName, file.LastModified,
            EntityTagHeaderValue.Parse(file.EntityTag), enableRangeProcessing: true);
    }

    static string Disposition(string name)
    {
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(name);
        return disposition.ToString();
    }

    static IResult Jwks(DownloadsJwks jwks, HttpContext context, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Text(jwks.Json(), "application/jwk-set+json; charset=utf-8");
    }

    /// <summary>The queryable view of the requested version (the current one by default), or the problem with it.</summary>
    static async Task<(QueryableDataset? Dataset, ProblemHttpResult? Problem)> VersionAsync(
        Dataset dataset, string requested, DatasetStore store, CancellationToken cancellationToken)
    {
        if (requested.Length == 0 || (int.TryParse(requested, out var asked) && asked == dataset.CurrentVersion && dataset.CurrentTable is not null))
        {
            return CurrentVersion(dataset) is { } current
                ? (current, null)
                : (null, Problem(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Nothing published yet", $"Dataset '{dataset.Id}' has no published version yet."));
        }

        if (!int.TryParse(requested, out var number) || number < 1)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "Invalid version",
                $"version must be a version number (1, 2, …), not '{Truncate(requested)}'. GET /api/v1/datasets/{dataset.Id}/versions lists them."));
        }

        var found = (await store.ListVersionsAsync(dataset.Id, cancellationToken)).FirstOrDefault(v => v.Version == number);
        if (found is null)
        {
            return (null, Problem(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "No such version",
                $"Dataset '{dataset.Id}' has no version {number}. GET /api/v1/datasets/{dataset.Id}/versions lists them."));
        }

        return found.TableName is null
            ? (null, Problem(StatusCodes.Status410Gone, CatalogProblems.VersionNotRetained, "Version no longer retained",
                $"Version {number} of '{dataset.Id}' was dropped by the retention policy."))
            : (Version(dataset, found), null);
    }

    /// <summary>The queryable view of one retained version of the dataset.</summary>
    internal static QueryableDataset Version(Dataset dataset, DatasetVersion version) =>
        new(dataset.Id, Title(dataset), dataset.Metadata.AccessLevel, version.TableName!, version.Version, version.RowCount,
            version.Columns.Select(CatalogQueryableDatasets.ToQueryable).ToArray());

    /// <summary>The queryable view of the dataset's current version, or <c>null</c> when nothing is published yet.</summary>
    internal static QueryableDataset? CurrentVersion(Dataset dataset) => dataset.CurrentTable is null
        ? null
        : new QueryableDataset(dataset.Id, Title(dataset), dataset.Metadata.AccessLevel, dataset.CurrentTable, dataset.CurrentVersion, dataset.RowCount,
            dataset.Columns.Select(CatalogQueryableDatasets.ToQueryable).ToArray());

    static string Title(Dataset dataset) => dataset.Metadata.Title.Vi ?? dataset.Metadata.Title.En ?? dataset.Id;

    static bool TryBom(string value, out bool bom)
    {
        bom = true;
        switch (value.ToLowerInvariant())
        {
            case "" or "true" or "1" or "yes":
                return true;
            case "false" or "0" or "no":
                bom = false;
                return true;
            default:
                return false;
        }
    }

    static ProblemHttpResult Problem(int status, string type, string title, string detail, params (string Name, object? Value)[] extensions) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: type,
            extensions: extensions.Length == 0 ? null : extensions.ToDictionary(e => e.Name, e => e.Value));

    static string Truncate(string text) => text.Length > 60 ? text[..60] + "…" : text;

    /// <summary>
    /// A filtered export, written while the rows are read. Text formats are compressed with br or gzip when the
    /// client accepts it. Parquet's footer and statistics come at the end of the file, so a filtered Parquet export
    /// is spooled to a temporary file on disk (never memory) and sent from there. When <paramref name="recordRows"/> is
    /// given, it is called once the export ends, with the number of rows read for it.
    /// </summary>
    sealed partial class StreamedExport(
        ExportReader reader, QueryPlan plan, DownloadFormat format, ExportSettings settings, string name, bool open, Func<long, Task>? recordRows) : IResult
    {
        long _rows;

        public async Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            var cancellationToken = context.RequestAborted;
            response.ContentType = format.MediaType();
            response.Headers.ContentDisposition = Disposition(name);
            response.Headers.CacheControl = open ? "public, max-age=60" : "private, no-store";
            var encoding = format.IsText() ? Negotiate(context.Request) : null;
            if (format.IsText())
            {
                response.Headers.Vary = "Accept-Encoding";
            }

            if (encoding is not null)
            {
                response.Headers.ContentEncoding = encoding;
            }

            if (HttpMethods.IsHead(context.Request.Method))
            {
                return;
            }

            try
            {
                await WriteAsync(context, encoding, cancellationToken);
            }
            finally
            {
                if (recordRows is not null)
                {
                    await recordRows(_rows);
                }
            }
        }

        async Task WriteAsync(HttpContext context, string? encoding, CancellationToken cancellationToken)
        {
            var response = context.Response;
            try
            {
                if (format == DownloadFormat.Parquet)
                {
                    await SpoolAsync(context, cancellationToken);
                    return;
                }

                await using var compressed = encoding switch
                {
                    "br" => new BrotliStream(response.Body, CompressionLevel.Fastest, leaveOpen: true),
                    "gzip" => (Stream)new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true),
                    _ => null,
                };
                await ExportWriters.WriteAsync(format, Rows(), compressed ?? response.Body, settings, cancellationToken);
            }
            catch (Exception e) when (e is QueryException or DbException && !response.HasStarted)
            {
                response.Headers.Remove(HeaderNames.ContentEncoding);
                response.Headers.Remove(HeaderNames.ContentDisposition);
                await Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "The export cannot be evaluated", e is QueryException ? e.Message :
                    "The filter cannot be evaluated over this data (for example a division by zero or an overflow).").ExecuteAsync(context);
            }
            catch (Exception e) when (e is QueryException or DbException)
            {
                // Rows are already on their way: cut the connection so the client sees a broken transfer, not a short file.
                LogAborted(context.RequestServices.GetRequiredService<ILogger<StreamedExport>>(), e.GetType().Name);
                context.Abort();
            }
        }

        async Task SpoolAsync(HttpContext context, CancellationToken cancellationToken)
        {
            var spool = context.RequestServices.GetRequiredService<DownloadPaths>().Spool;
            Directory.CreateDirectory(spool);
            await using var file = new FileStream(Path.Combine(spool, Guid.NewGuid().ToString("N") + ".parquet"), FileMode.CreateNew, FileAccess.ReadWrite,
                FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            await ExportWriters.WriteAsync(format, Rows(), file, settings, cancellationToken);
            context.Response.ContentLength = file.Length;
            file.Position = 0;
            await file.CopyToAsync(context.Response.Body, cancellationToken);
        }

        /// <summary>The export's rows, counted as the writer takes them.</summary>
        ExportRows Rows()
        {
            var rows = reader.Open(plan);
            return rows with { Rows = CountAsync(rows.Rows) };
        }

        async IAsyncEnumerable<object?[]> CountAsync(IAsyncEnumerable<object?[]> rows, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var row in rows.WithCancellation(cancellationToken))
            {
                _rows++;
                yield return row;
            }
        }

        static string? Negotiate(HttpRequest request)
        {
            var accepted = request.GetTypedHeaders().AcceptEncoding;
            double Quality(string coding) => accepted.Where(a => a.Value.Equals(coding, StringComparison.OrdinalIgnoreCase))
                .Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
            var br = Quality("br");
            var gzip = Quality("gzip");
            return br > 0 && br >= gzip ? "br" : gzip > 0 ? "gzip" : null;
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "An export failed after it started ({Error}); the connection was cut")]
        static partial void LogAborted(ILogger logger, string error);
    }
}

/// <summary>The problem types of downloads.</summary>
static class DownloadProblems
{
    public const string UnknownFormat = "/problems/unknown-download-format";
}
