using DataPlatform.Catalog.Descriptors;
using DataPlatform.Catalog.Downloads;
using DataPlatform.Catalog.Publishing;
using DataPlatform.Contracts.Access;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Datasets;

/// <summary>The catalog's REST API: search, read, and the publisher's create, update and delete.</summary>
public static class DatasetsApi
{
    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/datasets").WithTags("Datasets");
        group.MapGet("/", SearchAsync).WithName("SearchDatasets")
            .WithSummary("Lists and searches datasets, with paging and facets (publisher, theme, access level, licence, keyword, format). " +
                "Search ignores diacritics. sort=relevance (the default), modified, title (lang=vi or en) or downloads.");
        group.MapGet("/{id}", GetAsync).WithName("GetDataset").WithSummary("One dataset with its schema and versions.");
        group.MapPut("/{id}", PutAsync).WithName("PutDataset").WithSummary("Creates a dataset or replaces its metadata (publisher role).");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteDataset").WithSummary("Deletes a dataset and all its versions (publisher role).");
        return group;
    }

    static async Task<Results<Ok<DatasetSearchView>, ProblemHttpResult>> SearchAsync(
        HttpContext context, DatasetStore store, IOptions<CatalogOptions> options, CancellationToken cancellationToken,
        [FromQuery] string? q = null, [FromQuery] string? publisher = null, [FromQuery] string? theme = null,
        [FromQuery] AccessLevel? accessLevel = null, [FromQuery] string? licence = null, [FromQuery] int offset = 0, [FromQuery] int limit = 20,
        [FromQuery] string? keyword = null, [FromQuery] string? format = null, [FromQuery] string? sort = null, [FromQuery] string? lang = null)
    {
        if (offset < 0 || limit < 1 || limit > options.Value.MaxPageSize)
        {
            return CallerAccess.BadPaging($"offset must be 0 or more, and limit between 1 and {options.Value.MaxPageSize}.");
        }

        if (sort is not null and not ("relevance" or "modified" or "title" or "downloads"))
        {
            return CallerAccess.BadPaging("sort must be one of relevance, modified, title, downloads.");
        }

        if (lang is not null and not ("vi" or "en"))
        {
            return CallerAccess.BadPaging("lang must be vi or en: the language of the titles that sort=title orders by.");
        }

        if (format is not null && !DownloadFormats.TryParse(format, out _))
        {
            return CallerAccess.BadPaging($"format must be one of {DownloadFormats.Supported}.");
        }

        IReadOnlyList<DatasetOrder>? order = sort switch
        {
            "modified" => [new(DatasetSortKey.Modified, true)],
            "title" => [new(lang == "en" ? DatasetSortKey.TitleEn : DatasetSortKey.Title, false)],
            "downloads" => [new(DatasetSortKey.Downloads, true), new(DatasetSortKey.Modified, true)],
            _ => null,
        };
        var query = new DatasetQuery(q, publisher, theme, accessLevel, licence, null, offset, limit, Order: order)
        {
            Keyword = string.IsNullOrEmpty(keyword) ? null : keyword,
            Format = format?.ToLowerInvariant(),
        };
        var page = await store.SearchAsync(query, CallerAccess.Visibility(context), cancellationToken);
        var baseUrl = CallerAccess.BaseUrl(context);
        return TypedResults.Ok(new DatasetSearchView(page.Total, offset, limit,
            page.Items.Select(d => DatasetView.From(d, CallerAccess.SeesProtected(context, d.Id), null, baseUrl)).ToList(), page.Facets));
    }

    static async Task<Results<Ok<DatasetView>, ProblemHttpResult>> GetAsync(string id, HttpContext context, DatasetStore store, CancellationToken cancellationToken)
    {
        var dataset = await store.FindAsync(id, cancellationToken);
        if (dataset is null || !CallerAccess.Visibility(context).Sees(dataset))
        {
            return CallerAccess.NotFound(id);
        }

        var versions = await store.ListVersionsAsync(id, cancellationToken);
        return TypedResults.Ok(DatasetView.From(dataset, CallerAccess.SeesProtected(context, id), versions, CallerAccess.BaseUrl(context)));
    }

    static async Task<Results<Created<DatasetView>, Ok<DatasetView>, ValidationProblem, ProblemHttpResult>> PutAsync(
        string id, MetadataRequest? body, HttpContext context, DatasetStore store, DescriptorWriter descriptors, CancellationToken cancellationToken)
    {
        if (CallerAccess.RequirePublisher(context) is { } refused)
        {
            return refused;
        }

        if (!MetadataRules.IsValidId(id))
        {
            return CallerAccess.InvalidId(id);
        }

        var (metadata, errors) = MetadataRules.Validate(body);
        if (metadata is null)
        {
            return TypedResults.ValidationProblem(errors, detail: "The metadata lacks mandatory fields or has invalid ones.",
                title: "Invalid metadata", type: CatalogProblems.InvalidMetadata);
        }

        var (dataset, created) = await store.UpsertMetadataAsync(id, metadata, cancellationToken);
        await descriptors.WriteAsync(dataset, cancellationToken);
        var view = DatasetView.From(dataset, true, await store.ListVersionsAsync(id, cancellationToken), CallerAccess.BaseUrl(context));
        return created ? TypedResults.Created(view.Links.Self, view) : TypedResults.Ok(view);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string id, HttpContext context, DatasetStore store, DescriptorWriter descriptors, CancellationToken cancellationToken)
    {
        if (CallerAccess.RequirePublisher(context) is { } refused)
        {
            return refused;
        }

        var dataset = await store.FindAsync(id, cancellationToken);
        if (dataset is null || !await store.DeleteAsync(id, cancellationToken))
        {
            return CallerAccess.NotFound(id);
        }

        await descriptors.WriteDeletedAsync(dataset, cancellationToken);
        return TypedResults.NoContent();
    }
}
