using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DataPlatform.Catalog.Query;

/// <summary>Lets admins read the audit log of restricted-dataset reads.</summary>
public static class QueryAuditApi
{
    public static RouteGroupBuilder MapQueryAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/query-audit").WithTags("Query audit");
        group.MapGet("/", SearchAsync).WithName("SearchQueryAudit")
            .WithSummary("Reads of restricted datasets, newest first (admins only); filter by datasetId, consumerId, from, to");
        return group;
    }

    static async Task<Results<Ok<IReadOnlyList<QueryAuditEntryView>>, ProblemHttpResult>> SearchAsync(
        HttpContext context, QueryAuditLog log, string? datasetId, string? consumerId, DateTimeOffset? from, DateTimeOffset? to, int? limit,
        CancellationToken cancellationToken)
    {
        var consumer = context.GetConsumer();
        if (!consumer.HasRole(Roles.Admin))
        {
            return TypedResults.Problem(
                statusCode: consumer.IsAnonymous ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden,
                title: "Admins only",
                detail: "The audit log of restricted-dataset reads is open to platform admins only.");
        }

        if (limit is < 1 or > 1_000)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit", detail: "limit must be between 1 and 1000.");
        }

        var entries = await log.SearchAsync(datasetId, consumerId, from, to, limit ?? 100, cancellationToken);
        return TypedResults.Ok<IReadOnlyList<QueryAuditEntryView>>(entries.Select(QueryAuditEntryView.From).ToList());
    }
}

/// <summary>An audit entry as the API shows it.</summary>
public sealed record QueryAuditEntryView(
    long Id, DateTimeOffset At, string ConsumerId, string? AccountId, string? ClientIp, string DatasetId, string FrontDoor, string Query, long Rows)
{
    internal static QueryAuditEntryView From(QueryAuditEntry entry) => new(
        entry.Id, entry.At, entry.ConsumerId, entry.AccountId, entry.ClientIp, entry.DatasetId, entry.FrontDoor, entry.Query, entry.Rows);
}
