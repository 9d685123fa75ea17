using DataPlatform.Contracts.Problems;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DataPlatform.Billing.Accounts;

/// <summary>The self-service account API that the developer portal calls.</summary>
public static class AccountApi
{
    public static RouteGroupBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/account").WithTags("Account");
        group.MapGet("/", GetCaller)
            .WithName("GetCaller")
            .WithSummary("Who the gateway says is calling: the consumer, account, plan and roles of the request.");
        return group;
    }

    static Results<Ok<CallerView>, ProblemHttpResult> GetCaller(HttpContext context, CancellationToken cancellationToken)
    {
        var consumer = context.GetConsumer();
        if (consumer.IsAnonymous)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Authentication required",
                detail: "Call this endpoint with an API key: 'Authorization: ApiKey <key>' or 'X-Api-Key: <key>'.",
                type: ProblemTypes.AuthenticationRequired);
        }

        return TypedResults.Ok(new CallerView(consumer.ConsumerId, consumer.AccountId!, consumer.Plan, consumer.Roles, consumer.Entitlements));
    }

    /// <summary>The caller of a request, as the gateway established it.</summary>
    public sealed record CallerView(
        string ConsumerId, string AccountId, string? Plan, IReadOnlyList<string> Roles, IReadOnlyList<string> Entitlements);
}
