using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DataPlatform.Billing.Accounts;

/// <summary>The RFC 9457 problems billing answers with.</summary>
static class BillingProblems
{
    public const string ValidationType = "/problems/validation";
    public const string ForbiddenType = "/problems/forbidden";
    public const string ConflictType = "/problems/conflict";
    public const string InvalidSignatureType = "/problems/invalid-signature";

    public static ProblemHttpResult Unauthenticated() => TypedResults.Problem(
        statusCode: StatusCodes.Status401Unauthorized,
        title: "Authentication required",
        detail: "Call this endpoint with an API key: 'Authorization: ApiKey <key>' or 'X-Api-Key: <key>'.",
        type: ProblemTypes.AuthenticationRequired);

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail, type: ForbiddenType);

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail, type: ProblemTypes.NotFound);

    public static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: detail, type: ValidationType);

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail, type: ConflictType);

    /// <summary>An endpoint filter that lets only consumers holding the admin role through.</summary>
    public static async ValueTask<object?> RequireAdmin(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var consumer = context.HttpContext.GetConsumer();
        if (consumer.IsAnonymous)
        {
            return Unauthenticated();
        }

        return consumer.HasRole(Roles.Admin)
            ? await next(context)
            : Forbidden("This endpoint needs the admin role.");
    }

    /// <summary>An endpoint filter that refuses anonymous callers.</summary>
    public static async ValueTask<object?> RequireCaller(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.GetConsumer().IsAnonymous ? Unauthenticated() : await next(context);
}
