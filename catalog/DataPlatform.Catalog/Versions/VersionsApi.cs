using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Downloads;
using DataPlatform.Catalog.Publishing;
using DataPlatform.Catalog.Query;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Catalog.Versions;

/// <summary>A page of rows of one version.</summary>
public sealed record RowsPage(string DatasetId, int Version, long RowCount, long Offset, int Limit, IReadOnlyList<string> Columns, IReadOnlyList<Dictionary<string, object?>> Rows);

/// <summary>One version with the schema the caller may see.</summary>
public sealed record VersionDetailView(
    int Version, long RowCount, long Bytes, string Delimiter, DateTimeOffset PublishedAt, bool Retained, bool Current, IReadOnlyList<ColumnView> Columns);

/// <summary>A dataset's versions and their rows.</summary>
public static class VersionsApi
{
    public static RouteGroupBuilder MapVersionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/datasets").WithTags("Versions");
        group.MapGet("/{id}/versions", ListAsync).WithName("ListVersions").WithSummary("The dataset's versions, newest first, with exact row counts.");
        group.MapGet("/{id}/versions/{version:int}", GetAsync).WithName("GetVersion").WithSummary("One version, with its schema.");
        group.MapGet("/{id}/rows", RowsAsync).WithName("GetRows")
            .WithSummary("A page of the rows of the current version, or of any retained version with ?version=, in file order.");
        return group;
    }

    static async Task<Results<Ok<IReadOnlyList<VersionView>>, ProblemHttpResult>> ListAsync(
        string id, HttpContext context, DatasetStore store, CancellationToken cancellationToken)
    {
        var dataset = await store.FindAsync(id, cancellationToken);
        if (dataset is null || !CallerAccess.Visibility(context).Sees(dataset))
        {
            return CallerAccess.NotFound(id);
        }

        var versions = await store.ListVersionsAsync(id, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<VersionView>>(
            versions.Select(v => new VersionView(v.Version, v.RowCount, v.Bytes, v.Delimiter, v.PublishedAt, v.Retained)).ToList());
    }

    static async Task<Results<Ok<VersionDetailView>, ProblemHttpResult>> GetAsync(
        string id, int version, HttpContext context, DatasetStore store, CancellationToken cancellationToken)
    {
        var dataset = await store.FindAsync(id, cancellationToken);
        if (dataset is null || !CallerAccess.Visibility(context).Sees(dataset))
        {
            return CallerAccess.NotFound(id);
        }

        var found = (await store.ListVersionsAsync(id, cancellationToken)).FirstOrDefault(v => v.Version == version);
        if (found is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: Contracts.Problems.ProblemTypes.NotFound,
                title: "No such version", detail: $"Dataset '{id}' has no version {version}.");
        }

        var protectedToo = CallerAccess.SeesProtected(context, id);
        return TypedResults.Ok(new VersionDetailView(
            found.Version, found.RowCount, found.Bytes, found.Delimiter, found.PublishedAt, found.Retained, found.Version == dataset.CurrentVersion,
            found.Columns.Where(c => protectedToo || !c.IsProtected)
                .Select(c => new ColumnView(c.Name, c.Type, c.Nullable, c.Description, c.Key, c.Filterable, c.Sensitivity)).ToList()));
    }

    static async Task<Results<Ok<RowsPage>, ProblemHttpResult>> RowsAsync(
        string id, HttpContext context, DatasetStore store, QueryExecutor executor, CancellationToken cancellationToken,
        [FromQuery] int? version = null, [FromQuery] long offset = 0, [FromQuery] int limit = 100)
    {
        if (offset < 0 || limit < 1)
        {
            return CallerAccess.BadPaging("offset must be 0 or more, and limit 1 or more.");
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

        DatasetVersion? found = null;
        if (version is not null && version != dataset.CurrentVersion)
        {
            found = (await store.ListVersionsAsync(id, cancellationToken)).FirstOrDefault(v => v.Version == version);
            if (found is null)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: Contracts.Problems.ProblemTypes.NotFound,
                    title: "No such version", detail: $"Dataset '{id}' has no version {version}.");
            }

            if (!found.Retained || found.TableName is null)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status410Gone, type: CatalogProblems.VersionNotRetained,
                    title: "Version no longer retained", detail: $"Version {version} of '{id}' was dropped by the retention policy.");
            }
        }

        var queryable = found is null ? DownloadsApi.CurrentVersion(dataset) : DownloadsApi.Version(dataset, found);
        if (queryable is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: Contracts.Problems.ProblemTypes.NotFound,
                title: "Nothing published yet", detail: $"Dataset '{id}' has no published version yet.");
        }

        // The rows in file order, read like every other read of rows: a plan run by the query executor, which owns the
        // page limit, the statement timeout, the audit of restricted reads and the translation of errors.
        var columns = found?.Columns ?? dataset.Columns;
        var seesProtected = CallerAccess.SeesProtected(context, id);
        var visible = columns.Select((c, i) => (Column: c, Queryable: queryable.Columns[i])).Where(c => seesProtected || !c.Column.IsProtected).ToList();
        var plan = new QueryPlan(queryable)
        {
            Select = visible.Select(c => new Projection(c.Queryable.Name, new ColumnExpression(c.Queryable))).ToList(),
            Skip = offset,
            Take = limit,
            Reader = new QueryReader(context.GetConsumer(), "rows", context.Request.Path + context.Request.QueryString),
        };

        QueryResult result;
        try
        {
            result = await executor.ExecuteAsync(plan, cancellationToken);
        }
        catch (Exception e) when (QueryProblems.For(e) is { } problem)
        {
            return problem;
        }

        var page = result.Rows.Select(row =>
        {
            var values = new Dictionary<string, object?>(visible.Count);
            for (var i = 0; i < visible.Count; i++)
            {
                values[visible[i].Column.Name] = JsonValue(row[i]);
            }

            return values;
        }).ToList();
        return TypedResults.Ok(new RowsPage(id, queryable.Version, queryable.RowCount, offset, limit, visible.Select(c => c.Column.Name).ToList(), page));
    }

    /// <summary>Dates as ISO dates and datetimes as UTC instants, as this endpoint has always written them.</summary>
    static object? JsonValue(object? value) => value switch
    {
        DateOnly date => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        _ => value,
    };
}
