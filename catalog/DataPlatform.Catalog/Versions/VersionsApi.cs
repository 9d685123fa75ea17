using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Publishing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

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
        string id, HttpContext context, DatasetStore store, RowReader rows, IOptions<CatalogOptions> options, CancellationToken cancellationToken,
        [FromQuery] int? version = null, [FromQuery] long offset = 0, [FromQuery] int limit = 100)
    {
        if (offset < 0 || limit < 1 || limit > options.Value.MaxPageSize)
        {
            return CallerAccess.BadPaging($"offset must be 0 or more, and limit between 1 and {options.Value.MaxPageSize}.");
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

        string? table;
        IReadOnlyList<DatasetColumn> columns;
        long rowCount;
        int served;
        if (version is null || version == dataset.CurrentVersion)
        {
            (table, columns, rowCount, served) = (dataset.CurrentTable, dataset.Columns, dataset.RowCount, dataset.CurrentVersion);
        }
        else
        {
            var found = (await store.ListVersionsAsync(id, cancellationToken)).FirstOrDefault(v => v.Version == version);
            if (found is null)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: Contracts.Problems.ProblemTypes.NotFound,
                    title: "No such version", detail: $"Dataset '{id}' has no version {version}.");
            }

            if (!found.Retained)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status410Gone, type: CatalogProblems.VersionNotRetained,
                    title: "Version no longer retained", detail: $"Version {version} of '{id}' was dropped by the retention policy.");
            }

            (table, columns, rowCount, served) = (found.TableName, found.Columns, found.RowCount, found.Version);
        }

        if (table is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: Contracts.Problems.ProblemTypes.NotFound,
                title: "Nothing published yet", detail: $"Dataset '{id}' has no published version yet.");
        }

        var visible = columns.Where(c => !c.IsProtected || CallerAccess.SeesProtected(context, id)).ToList();
        var page = await rows.ReadAsync(table, visible, offset, limit, cancellationToken);
        return TypedResults.Ok(new RowsPage(id, served, rowCount, offset, limit, visible.Select(c => c.Name).ToList(), page));
    }
}
