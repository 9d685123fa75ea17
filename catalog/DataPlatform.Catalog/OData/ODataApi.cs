using System.Globalization;
using System.Text;
using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.OData;

/// <summary>
/// OData v4.01 over every published dataset: <c>/odata/{datasetId}</c> is a service with one entity set,
/// <c>Records</c>, whose model is generated from the dataset's schema as the caller may see it.
/// </summary>
public static class ODataApi
{
    public static RouteGroupBuilder MapODataApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/odata/{datasetId}").WithTags("OData");
        group.MapGet("/", GetServiceDocumentAsync).WithName("GetODataServiceDocument").WithSummary("The dataset's OData service document");
        group.MapGet("/$metadata", GetMetadataAsync).WithName("GetODataMetadata").WithSummary("The dataset's CSDL (XML, or JSON with $format=json)");
        group.MapGet("/Records", GetRecordsAsync).WithName("GetODataRecords")
            .WithSummary("Rows of the dataset with $filter, $select, $orderby, $top, $skip, $count, $search, $apply and server-driven paging");
        group.MapGet("/Records({key})", GetRecordAsync).WithName("GetODataRecord")
            .WithSummary("One row by its key: Records('P001'), or Records(col1=…,col2=…) for a compound key; $select applies");
        group.MapGet("/Records/$count", GetCountAsync).WithName("GetODataCount").WithSummary("The number of matching rows, as plain text");
        group.MapGet("/{**rest}", GetUnknownResource).WithName("GetODataUnknownResource")
            .WithSummary("Any other path under a dataset's service: a 404 in the OData error format");
        return group;
    }

    /// <summary>
    /// A path the service does not have (a mistyped entity set, a navigation): a 404 in the OData error format that says
    /// what there is, rather than an empty one. It answers alike whether or not the dataset exists, so it reveals nothing
    /// of a restricted one.
    /// </summary>
    static IResult GetUnknownResource(string datasetId, string rest, CancellationToken cancellationToken) =>
        ODataResponses.Error(StatusCodes.Status404NotFound, "ResourceNotFound",
            $"The service has no resource '{rest}'. Each dataset's service has the service document, $metadata, Records, Records(key) and Records/$count.",
            "path");

    static async Task<IResult> GetServiceDocumentAsync(string datasetId, HttpContext context, IQueryableDatasetSource source, CancellationToken cancellationToken)
    {
        var (model, refused) = await FindAsync(datasetId, context, source, cancellationToken);
        if (model is null)
        {
            return refused!;
        }

        var root = ServiceRoot(context.Request, datasetId);
        return new JsonWriterResult(StatusCodes.Status200OK, JsonWriterResult.JsonContentType, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("@odata.context", root + "$metadata");
            writer.WriteStartArray("value");
            writer.WriteStartObject();
            writer.WriteString("name", ODataModel.EntitySetName);
            writer.WriteString("kind", "EntitySet");
            writer.WriteString("url", ODataModel.EntitySetName);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    static async Task<IResult> GetMetadataAsync(string datasetId, HttpContext context, IQueryableDatasetSource source, CancellationToken cancellationToken)
    {
        var (model, refused) = await FindAsync(datasetId, context, source, cancellationToken);
        if (model is null)
        {
            return refused!;
        }

        var format = context.Request.Query["$format"].ToString();
        var json = format.StartsWith("json", StringComparison.OrdinalIgnoreCase) || format.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (format.Length == 0 && context.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase)
                && !context.Request.Headers.Accept.ToString().Contains("xml", StringComparison.OrdinalIgnoreCase));
        if (format.Length > 0 && !json && !format.StartsWith("xml", StringComparison.OrdinalIgnoreCase) && !format.StartsWith("application/xml", StringComparison.OrdinalIgnoreCase))
        {
            return ODataResponses.Error(StatusCodes.Status406NotAcceptable, "UnsupportedFormat", $"$metadata is available as xml or json, not '{format}'.", "$format");
        }

        if (json)
        {
            return new JsonWriterResult(StatusCodes.Status200OK, "application/json;charset=utf-8", model.WriteCsdlJson);
        }

        context.Response.Headers["OData-Version"] = JsonWriterResult.ODataVersion(context.Request);
        return TypedResults.Text(model.CsdlXml(), "application/xml", Encoding.UTF8);
    }

    static async Task<IResult> GetRecordsAsync(
        string datasetId, HttpContext context, IQueryableDatasetSource source, QueryExecutor executor, IOptions<QueryOptions> options,
        CancellationToken cancellationToken)
    {
        var (model, refused) = await FindAsync(datasetId, context, source, cancellationToken);
        if (model is null)
        {
            return refused!;
        }

        var request = context.Request;
        var metadata = Metadata(request);
        if (metadata is null)
        {
            return UnsupportedFormat();
        }

        try
        {
            var query = model.Parse(QueryOptionsOf(request));
            var (pageSize, applied) = PageSize(request, options.Value);
            var plan = query.Plan with { Reader = Reader(context), RequestedRows = query.Top };
            if (plan.IsGrouped)
            {
                // Aggregations answer in one response, bounded by the group limit.
                plan = plan with { Take = (int)Math.Min(query.Top ?? QueryPlan.AllGroups, QueryPlan.AllGroups) };
            }
            else
            {
                plan = plan with { Take = (int)Math.Min(query.Top ?? long.MaxValue, pageSize) };
                if (query.SkipToken is not null)
                {
                    var types = plan.OrderBy.Select(o => o.Expression.Type ?? ColumnType.String).ToList();
                    plan = plan with { After = KeysetToken.Decode(query.SkipToken, types, "$skiptoken") };
                }
            }

            // The rows are audited with the page; the count that comes with them is part of the same read.
            var count = query.Count ? await executor.CountAsync(plan with { Reader = plan.Reader! with { AuditCounts = false } }, cancellationToken) : (long?)null;
            var root = ServiceRoot(request, datasetId);
            var ieee754 = Ieee754(request);
            // An aggregation answers whole, whatever page size the client prefers, so it does not claim to have applied one.
            var headers = applied is null || plan.IsGrouped ? null : new Dictionary<string, string> { ["Preference-Applied"] = applied };
            var contentType = $"application/json;odata.metadata={metadata};odata.streaming=true;IEEE754Compatible={(ieee754 ? "true" : "false")};charset=utf-8";
            string Context(IEnumerable<OutputColumn> columns) => $"{root}$metadata#{ODataModel.EntitySetName}({string.Join(",", columns.Select(c => c.Name))})";
            string? Next(int returned, KeysetPosition next)
            {
                var remaining = query.Top - returned;
                return remaining is null or > 0 ? NextLink(request, remaining, KeysetToken.Encode(next)) : null;
            }

            if (!plan.IsGrouped && model.Dataset.AccessLevel != AccessLevel.Restricted)
            {
                // Rows stream from the reader into the response. Reads of restricted datasets take the buffered
                // path below, because their audit entry, with the row count, is written before anything is sent.
                var rows = await executor.StreamAsync(plan, cancellationToken);
                bool first;
                try
                {
                    first = await rows.ReadAsync();
                }
                catch
                {
                    await rows.DisposeAsync();
                    throw;
                }

                return new ODataRowsResult(rows, first, contentType, metadata == "none" ? null : Context(rows.Columns), count,
                    metadata == "full", ieee754, Next, headers);
            }

            var result = await executor.ExecuteAsync(plan, cancellationToken);
            var nextLink = result.Next is null ? null : Next(result.Rows.Count, result.Next);
            return new JsonWriterResult(StatusCodes.Status200OK, contentType, writer =>
            {
                writer.WriteStartObject();
                if (metadata != "none")
                {
                    writer.WriteString("@odata.context", Context(result.Columns));
                }

                if (count is not null)
                {
                    writer.WritePropertyName("@odata.count");
                    ODataResponses.WriteValue(writer, count.Value, ieee754);
                }

                writer.WriteStartArray("value");
                foreach (var row in result.Rows)
                {
                    writer.WriteStartObject();
                    if (metadata == "full")
                    {
                        writer.WriteString("@odata.type", $"#{ODataModel.Namespace}.Record");
                    }

                    for (var i = 0; i < row.Length; i++)
                    {
                        writer.WritePropertyName(result.Columns[i].Name);
                        ODataResponses.WriteValue(writer, row[i], ieee754);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                if (nextLink is not null)
                {
                    writer.WriteString("@odata.nextLink", nextLink);
                }

                writer.WriteEndObject();
            }, headers);
        }
        catch (Exception e) when (e is QueryException or QueryLimitException or QueryFailedException)
        {
            return QueryError(e);
        }
    }

    static IResult UnsupportedFormat() => ODataResponses.Error(StatusCodes.Status406NotAcceptable, "UnsupportedFormat",
        "This service answers in JSON only: $format=json (odata.metadata=minimal, none or full).", "$format");

    static async Task<IResult> GetRecordAsync(
        string datasetId, string key, HttpContext context, IQueryableDatasetSource source, QueryExecutor executor,
        CancellationToken cancellationToken)
    {
        var (model, refused) = await FindAsync(datasetId, context, source, cancellationToken);
        if (model is null)
        {
            return refused!;
        }

        var request = context.Request;
        var metadata = Metadata(request);
        if (metadata is null)
        {
            return UnsupportedFormat();
        }

        try
        {
            var options = QueryOptionsOf(request).ToList();
            var misplaced = options.FirstOrDefault(o => o.Key.TrimStart('$') is not ("select" or "format"));
            if (misplaced.Key is not null)
            {
                throw new QueryException(misplaced.Key, $"A single record takes only $select and $format, not '{misplaced.Key}'.");
            }

            var plan = ODataQueryBuilder.Build(model, options).Plan;
            plan = plan with { Filter = ODataKeys.Predicate(model, key), Take = 2, Reader = Reader(context) };
            var result = await executor.ExecuteAsync(plan, cancellationToken);

            if (result.Rows.Count == 0)
            {
                return ODataResponses.Error(StatusCodes.Status404NotFound, "RecordNotFound", $"The dataset '{datasetId}' has no record with the key ({key}).", "key");
            }

            var root = ServiceRoot(request, datasetId);
            var selected = plan.Select.Count == model.Dataset.Columns.Count ? "" : "(" + string.Join(",", result.Columns.Select(c => c.Name)) + ")";
            var ieee754 = Ieee754(request);
            var contentType = $"application/json;odata.metadata={metadata};odata.streaming=true;IEEE754Compatible={(ieee754 ? "true" : "false")};charset=utf-8";
            var row = result.Rows[0];
            return new JsonWriterResult(StatusCodes.Status200OK, contentType, writer =>
            {
                writer.WriteStartObject();
                if (metadata != "none")
                {
                    writer.WriteString("@odata.context", $"{root}$metadata#{ODataModel.EntitySetName}{selected}/$entity");
                }

                if (metadata == "full")
                {
                    writer.WriteString("@odata.type", $"#{ODataModel.Namespace}.Record");
                }

                for (var i = 0; i < row.Length; i++)
                {
                    writer.WritePropertyName(result.Columns[i].Name);
                    ODataResponses.WriteValue(writer, row[i], ieee754);
                }

                writer.WriteEndObject();
            });
        }
        catch (Exception e) when (e is QueryException or QueryLimitException or QueryFailedException)
        {
            return QueryError(e);
        }
    }

    static bool Ieee754(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("IEEE754Compatible=true", StringComparison.OrdinalIgnoreCase)
        || request.Query["$format"].ToString().Contains("IEEE754Compatible=true", StringComparison.OrdinalIgnoreCase);

    static async Task<IResult> GetCountAsync(
        string datasetId, HttpContext context, IQueryableDatasetSource source, QueryExecutor executor, CancellationToken cancellationToken)
    {
        var (model, refused) = await FindAsync(datasetId, context, source, cancellationToken);
        if (model is null)
        {
            return refused!;
        }

        try
        {
            var query = model.Parse(QueryOptionsOf(context.Request));
            var count = await executor.CountAsync(query.Plan with { Reader = Reader(context) }, cancellationToken);

            context.Response.Headers["OData-Version"] = JsonWriterResult.ODataVersion(context.Request);
            return TypedResults.Text(count.ToString(CultureInfo.InvariantCulture), "text/plain", Encoding.UTF8);
        }
        catch (Exception e) when (e is QueryException or QueryLimitException or QueryFailedException)
        {
            return QueryError(e);
        }
    }

    /// <summary>
    /// The dataset's model as this caller may see it, or the OData error to answer instead: 404 when the dataset does not
    /// exist for them, 401 or 403 when they may not read it (the gateway refuses these first; the catalog checks again
    /// so that a call reaching it directly gets no more).
    /// </summary>
    static async Task<(ODataModel? Model, IResult? Refusal)> FindAsync(string datasetId, HttpContext context, IQueryableDatasetSource source, CancellationToken cancellationToken)
    {
        var consumer = context.GetConsumer();
        var dataset = await source.FindAsync(datasetId, cancellationToken);
        var view = dataset?.VisibleTo(consumer.Entitlements);
        return (view, view?.RefusalFor(consumer)) switch
        {
            (null, _) => (null, NotFound(datasetId)),
            (_, { NeedsApiKey: true } refusal) => (null, ODataResponses.Error(StatusCodes.Status401Unauthorized, "AuthenticationRequired", refusal.Message)),
            (_, { } refusal) => (null, ODataResponses.Error(StatusCodes.Status403Forbidden, "SubscriptionRequired", refusal.Message)),
            _ => (ODataModel.For(view), null),
        };
    }

    static IResult NotFound(string datasetId) =>
        ODataResponses.Error(StatusCodes.Status404NotFound, "DatasetNotFound", DatasetAccessProblem.NotFound(datasetId).Detail);

    /// <summary>The query core's error in the OData error format: the one mapping of this front door.</summary>
    static IResult QueryError(Exception e) => e switch
    {
        QueryException query => ODataResponses.Error(StatusCodes.Status400BadRequest, "InvalidQuery", query.Message, query.Target),
        QueryLimitException limit => ODataResponses.Error(StatusCodes.Status400BadRequest, limit.Limit + "LimitExceeded", limit.Message,
            limit.Limit switch
            {
                QueryLimit.PageSize => "$top",
                QueryLimit.Groups => "$apply",
                QueryLimit.SearchTerms => "$search",
                QueryLimit.FilterSize or QueryLimit.FilterDepth or QueryLimit.Complexity => "$filter",
                _ => null,
            }),
        QueryFailedException failed => ODataResponses.Error(StatusCodes.Status500InternalServerError, "QueryFailed", failed.Message),
        _ => throw e,
    };

    /// <summary>Who reads, for the audit log of restricted datasets.</summary>
    static QueryReader Reader(HttpContext context) =>
        new(context.GetConsumer(), "odata", context.Request.Path + context.Request.QueryString);

    static IEnumerable<KeyValuePair<string, string>> QueryOptionsOf(HttpRequest request) =>
        request.Query.Select(q => new KeyValuePair<string, string>(q.Key, q.Value.ToString()));

    /// <summary>The requested metadata level (minimal, none or full), or <c>null</c> for a format other than JSON.</summary>
    static string? Metadata(HttpRequest request)
    {
        var format = request.Query["$format"].ToString();
        var accept = format.Length > 0 ? format : request.Headers.Accept.ToString();
        if (format.Length > 0 && !format.StartsWith("json", StringComparison.OrdinalIgnoreCase) && !format.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (var level in new[] { "none", "full", "minimal" })
        {
            if (accept.Contains("odata.metadata=" + level, StringComparison.OrdinalIgnoreCase))
            {
                return level;
            }
        }

        return "minimal";
    }

    /// <summary>The page size, honouring <c>Prefer: odata.maxpagesize</c> up to the configured maximum.</summary>
    static (int PageSize, string? Applied) PageSize(HttpRequest request, QueryOptions limits)
    {
        foreach (var preference in request.Headers["Prefer"].SelectMany(h => (h ?? "").Split(',')))
        {
            var parts = preference.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0].ToLowerInvariant() is "odata.maxpagesize" or "maxpagesize"
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var asked) && asked > 0)
            {
                var size = Math.Min(asked, limits.MaxPageSize);
                return (size, "odata.maxpagesize=" + size.ToString(CultureInfo.InvariantCulture));
            }
        }

        return (limits.DefaultPageSize, null);
    }

    static string ServiceRoot(HttpRequest request, string datasetId) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}/odata/{Uri.EscapeDataString(datasetId)}/";

    /// <summary>The same request for the next page: $skip is spent, $top shrinks by what was returned, and the token says where to resume.</summary>
    static string NextLink(HttpRequest request, long? remainingTop, string token)
    {
        var parts = request.Query
            .Where(q => q.Key.TrimStart('$') is not ("skip" or "skiptoken" or "top"))
            .Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value.ToString()))
            .ToList();
        if (remainingTop is not null)
        {
            parts.Add("$top=" + remainingTop.Value.ToString(CultureInfo.InvariantCulture));
        }

        parts.Add("$skiptoken=" + token);
        return $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{string.Join("&", parts)}";
    }
}
