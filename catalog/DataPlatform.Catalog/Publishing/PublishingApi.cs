using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Downloads;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Publishing;

/// <summary>Publishing a CSV as a new version of a dataset.</summary>
public static class PublishingApi
{
    public static RouteGroupBuilder MapPublishingApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/datasets").WithTags("Publishing");
        group.MapPost("/{id}/versions", PublishAsync).WithName("PublishDataset")
            .WithSummary("Publishes the CSV in the body (text/csv, UTF-8) as the dataset's new current version (publisher role).")
            .Accepts<Stream>("text/csv")
            .DisableAntiforgery();
        return group;
    }

    static async Task<Results<Created<PublishResult>, ProblemHttpResult>> PublishAsync(
        string id, HttpContext context, DatasetPublisher publisher, DownloadPrebuilder downloads, IOptions<CatalogOptions> options,
        CancellationToken cancellationToken)
    {
        if (CallerAccess.RequirePublisher(context) is { } refused)
        {
            return refused;
        }

        if (!MetadataRules.IsValidId(id))
        {
            return CallerAccess.InvalidId(id);
        }

        var limit = options.Value.MaxUploadBytes;
        if (context.Request.ContentLength > limit)
        {
            return Problem(CsvSpooler.TooLarge(limit));
        }

        // Kestrel's 30 MB default would cut a large file off; the spooler enforces the configured limit itself.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        try
        {
            var result = await publisher.PublishAsync(id, context.Request.Body, context.GetConsumer().ConsumerId, cancellationToken);
            downloads.Schedule(result.DatasetId);
            return TypedResults.Created($"/api/v1/datasets/{Uri.EscapeDataString(id)}/versions/{result.Version}", result);
        }
        catch (PublishFailure failure)
        {
            return Problem(failure);
        }
    }

    static ProblemHttpResult Problem(PublishFailure failure)
    {
        var extensions = new Dictionary<string, object?>();
        if (failure.Errors is not null)
        {
            extensions["errors"] = failure.Errors;
            extensions["errorCount"] = failure.ErrorCount;
        }

        return TypedResults.Problem(detail: failure.Message, statusCode: failure.Status, title: failure.Title, type: failure.Type, extensions: extensions);
    }
}
