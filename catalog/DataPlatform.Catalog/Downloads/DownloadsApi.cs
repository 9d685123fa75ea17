using System.Data.Common;
using System.IO.Compression;
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
    /// <summary>The option that turns off the neutralising of formulas in CSV text cells, for programs that read the file.</summary>
    const string EscapeFormulasOption = "escapeFormulas";

    public static IEndpointRouteBuilder MapDownloadsApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/v1/datasets/{id}/download.{format}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync)
            .WithTags("Downloads").WithName("DownloadDataset")
            .WithSummary("The dataset as csv, ndjson, json, parquet or xlsx (append .sha256 or .jws for the digest or signature of a whole version), " +
                "with ?version=, $filter, $select or columns=, $orderby, bom=false for CSV without a byte order mark, and escapeFormulas=false for CSV " +
                "text cells exactly as stored (by default a text cell starting with =, +, -, @, tab or CR gets a leading apostrophe).");
        app.MapGet("/.well-known/jwks.json", Jwks)
            .WithTags("Downloads").WithName("GetDownloadSigningKeys")
            .WithSummary("The public keys (JWKS, RFC 7517) that verify the detached ES256 signatures of downloads.");
        return app;
    }

    static async Task<IResult> DownloadAsync(
        string id, string format, HttpContext context, DatasetStore store, ExportReader reader, WholeVersionFiles files,
        QueryAuditLog audit, DownloadCounter counter, CancellationToken cancellationToken)
    {
        var parts = format.Split('.');
        var companion = parts is [_, "sha256" or "jws"] ? parts[1] : null;
        if (parts.Length > (companion is null ? 1 : 2) || !DownloadFormats.TryParse(parts[0], out var downloadFormat))
        {
            return Problem(StatusCodes.Status400BadRequest, DownloadProblems.UnknownFormat, "Unknown download format",
                $"'{Truncate(format)}' is not a download format. Use download.csv, .ndjson, .json, .parquet or .xlsx; append .sha256 or .jws for a whole version's digest or signature.");
        }

        // An id that cannot name a dataset (a path trick, a NUL, something very long) is looked up nowhere, and gets the
        // same answer as an unknown one.
        var dataset = MetadataRules.IsValidId(id) ? await store.FindAsync(id, cancellationToken) : null;
        if (dataset is null || !CallerAccess.Visibility(context).Sees(dataset))
        {
            return CallerAccess.NotFound(Truncate(id));
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

        if (!TryBoolean(context.Request.Query["bom"].ToString(), out var bom))
        {
            return Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "Invalid query",
                "bom must be true or false: true (the default) starts a CSV with the UTF-8 byte order mark that Excel needs to show Vietnamese.", ("target", "bom"));
        }

        if (!TryBoolean(context.Request.Query[EscapeFormulasOption].ToString(), out var escapeFormulas))
        {
            return Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "Invalid query",
                $"{EscapeFormulasOption} must be true or false: true (the default) puts an apostrophe before CSV text cells that a spreadsheet would run as formulas; false writes every cell as stored, for programs.",
                ("target", EscapeFormulasOption));
        }

        var consumer = context.GetConsumer();
        var view = source!.VisibleTo(consumer.Entitlements)!;
        ExportRequest request;
        try
        {
            request = ExportRequests.Parse(view, context.Request.Query
                .Where(q => q.Key is not ("version" or "bom" or EscapeFormulasOption or "api_key"))
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
            // The executor audits a filtered export of restricted data when its rows have been read: before a spooled
            // file is sent, or when a streamed export ends (finished, failed or abandoned), with the rows read.
            var plan = request.Plan with { Reader = new QueryReader(consumer, "download", query) };
            counter.Count(id, context.Request);
            return new StreamedExport(reader, plan, downloadFormat, files.Settings(bom, escapeFormulas),
                $"{id}-v{view.Version}-export.{downloadFormat.Extension()}", open);
        }

        if (audited)
        {
            await audit.RecordAsync(consumer, id, "download", query, view.RowCount, cancellationToken);
        }

        var file = await files.GetAsync(source, view, request.Plan, downloadFormat, bom, escapeFormulas, cancellationToken);
        if (companion is null)
        {
            counter.Count(id, context.Request);
        }

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
        if (requested.Length == 0 || (!requested.AsSpan().ContainsAnyExceptInRange('0', '9') && int.TryParse(requested, out var asked)
            && asked == dataset.CurrentVersion && dataset.CurrentTable is not null))
        {
            return CurrentVersion(dataset) is { } current
                ? (current, null)
                : (null, Problem(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Nothing published yet", $"Dataset '{dataset.Id}' has no published version yet."));
        }

        // Digits only: int.TryParse also takes signs, spaces and trailing NULs ("1%00" would be version 1).
        if (requested.AsSpan().ContainsAnyExceptInRange('0', '9') || !int.TryParse(requested, out var number) || number < 1)
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

    /// <summary>A boolean option whose default is true.</summary>
    static bool TryBoolean(string value, out bool result)
    {
        result = true;
        switch (value.ToLowerInvariant())
        {
            case "" or "true" or "1" or "yes":
                return true;
            case "false" or "0" or "no":
                result = false;
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
    /// client accepts it. Parquet's footer and statistics come at the end of the file, and SpreadCheetah's zip writer
    /// writes synchronously, so filtered Parquet and XLSX exports are spooled to a temporary file on disk (never
    /// memory) and sent from there. The executor records a read of restricted data when the rows' stream is disposed:
    /// for a spooled file that is before the file is sent, for a streamed one when it ends.
    /// </summary>
    /// <remarks>
    /// A 200 always carries a whole file in the promised format. The statement runs, and its first row is read,
    /// before anything is sent, so a query that fails at once is a problem; a spooled file is sent only once it is
    /// complete; and a text export that fails after its first bytes have left cuts the connection, so the client
    /// sees a broken transfer rather than a short file that looks whole.
    /// </remarks>
    sealed partial class StreamedExport(
        ExportReader reader, QueryPlan plan, DownloadFormat format, ExportSettings settings, string name, bool open) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var cancellationToken = context.RequestAborted;
            var encoding = format.IsText() ? Negotiate(context.Request) : null;
            if (HttpMethods.IsHead(context.Request.Method))
            {
                WriteHeaders(context.Response, encoding);
                return;
            }

            ExportRows? rows = null;
            try
            {
                rows = await reader.OpenAsync(plan, cancellationToken);
                if (format.IsText())
                {
                    await StreamAsync(context, rows, encoding, cancellationToken);
                }
                else
                {
                    await SpoolAsync(context, rows, cancellationToken);
                }
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or IOException or DbException)
            {
                // The client went away, which cancelled the statement: there is nobody left to answer.
            }
            catch (Exception e)
            {
                await FailAsync(context, e);
            }
            finally
            {
                if (rows is not null)
                {
                    await rows.DisposeAsync();
                }
            }
        }

        void WriteHeaders(HttpResponse response, string? encoding)
        {
            response.ContentType = format.MediaType();
            response.Headers.ContentDisposition = Disposition(name);
            response.Headers.CacheControl = open ? "public, max-age=60" : "private, no-store";
            if (format.IsText())
            {
                response.Headers.Vary = "Accept-Encoding";
            }

            if (encoding is not null)
            {
                response.Headers.ContentEncoding = encoding;
            }
        }

        async Task StreamAsync(HttpContext context, ExportRows rows, string? encoding, CancellationToken cancellationToken)
        {
            var response = context.Response;
            WriteHeaders(response, encoding);
            await using var compressed = encoding switch
            {
                "br" => new BrotliStream(response.Body, CompressionLevel.Fastest, leaveOpen: true),
                "gzip" => (Stream)new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true),
                _ => null,
            };
            await ExportWriters.WriteAsync(format, rows, compressed ?? response.Body, settings, cancellationToken);
        }

        async Task SpoolAsync(HttpContext context, ExportRows rows, CancellationToken cancellationToken)
        {
            var spool = context.RequestServices.GetRequiredService<DownloadPaths>().Spool;
            Directory.CreateDirectory(spool);
            await using var file = new FileStream(Path.Combine(spool, Guid.NewGuid().ToString("N") + "." + format.Extension()), FileMode.CreateNew,
                FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            await ExportWriters.WriteAsync(format, rows, file, settings, cancellationToken);
            await file.FlushAsync(cancellationToken);

            // Every row is read: closing the read writes its audit entry before any of them leaves, as for the query
            // front doors. Disposing the rows again later does nothing.
            await rows.DisposeAsync();

            // The file is complete: only now is the client told it gets one.
            WriteHeaders(context.Response, encoding: null);
            context.Response.ContentLength = file.Length;
            file.Position = 0;
            await file.CopyToAsync(context.Response.Body, cancellationToken);
        }

        /// <summary>A problem when nothing has been sent yet; otherwise the connection is cut, so that no 200 ends cleanly.</summary>
        static async Task FailAsync(HttpContext context, Exception e)
        {
            var response = context.Response;
            var logger = context.RequestServices.GetRequiredService<ILogger<StreamedExport>>();
            if (response.HasStarted)
            {
                LogAborted(logger, e.GetType().Name, e.Message);
                context.Abort();
                return;
            }

            response.Clear();
            var problem = e switch
            {
                QueryException query => Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "The export cannot be evaluated", query.Message,
                    ("target", query.Target)),
                QueryLimitException limit => Problem(StatusCodes.Status400BadRequest, CatalogProblems.InvalidQuery, "The export exceeds a limit", limit.Message,
                    ("limit", limit.Limit.ToString())),
                _ => null,
            };
            if (problem is null)
            {
                // Not the caller's doing: logged in full here, and answered without the engine's words.
                LogFailed(logger, e);
                problem = TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "The export failed",
                    detail: "The export failed on the server before it was sent. Try again later; the failure was logged.");
            }

            await problem.ExecuteAsync(context);
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

        [LoggerMessage(Level = LogLevel.Warning, Message = "An export failed after it started ({Error}: {Reason}); the connection was cut")]
        static partial void LogAborted(ILogger logger, string error, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "An export failed before it was sent")]
        static partial void LogFailed(ILogger logger, Exception exception);
    }
}

/// <summary>The problem types of downloads.</summary>
static class DownloadProblems
{
    public const string UnknownFormat = "/problems/unknown-download-format";
}
