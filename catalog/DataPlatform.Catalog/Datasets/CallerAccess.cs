using DataPlatform.Catalog.Publishing;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Datasets;

/// <summary>What the caller of a request may do and see, from the consumer context the gateway signed.</summary>
static class CallerAccess
{
    /// <summary>A problem when the caller is not a publisher: 401 when anonymous, 403 without the role.</summary>
    public static ProblemHttpResult? RequirePublisher(HttpContext context)
    {
        var consumer = context.GetConsumer();
        if (consumer.IsAnonymous)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized, type: ProblemTypes.AuthenticationRequired, title: "Authentication required",
                detail: "Publishing needs an API key whose account holds the publisher role.");
        }

        return consumer.HasRole(Roles.Publisher)
            ? null
            : TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden, type: CatalogProblems.PublisherRoleRequired, title: "The publisher role is required",
                detail: "This account may read the catalog but not change it. Ask an administrator for the publisher role.");
    }

    public static Visibility Visibility(HttpContext context) => Datasets.Visibility.Of(context.GetConsumer());

    /// <summary>True when the caller may see the dataset's personal and sensitive columns.</summary>
    public static bool SeesProtected(HttpContext context, string datasetId) =>
        context.GetConsumer().HasEntitlement(Entitlements.Dataset(datasetId));

    /// <summary>
    /// A problem when the caller may not read the dataset's rows. The gateway enforces the same rule from the
    /// descriptor; the catalog checks again so that a call that reaches it directly gets no more.
    /// </summary>
    public static ProblemHttpResult? RequireRowAccess(HttpContext context, Dataset dataset)
    {
        var descriptor = dataset.ToDescriptor();
        return DatasetAccessProblem.For(descriptor, descriptor.ReadRefusalFor(context.GetConsumer())) is { } problem ? Problem(problem) : null;
    }

    /// <summary>The public address links are built on: the gateway's, as the client reached it.</summary>
    public static string BaseUrl(HttpContext context)
    {
        var request = context.Request;
        // Through the gateway, the consumer-context middleware (ServiceDefaults) has already set the request's
        // host and scheme to the gateway's, believing the forwarded headers only on gateway-signed requests.
        if (request.Headers.ContainsKey("X-Forwarded-Host"))
        {
            return $"{request.Scheme}://{request.Host}";
        }

        var gateway = context.RequestServices.GetRequiredService<IOptions<PlatformOptions>>().Value.GatewayUrl.TrimEnd('/');
        return gateway.EndsWith(":0", StringComparison.Ordinal) ? $"{request.Scheme}://{request.Host}" : gateway;
    }

    public static ProblemHttpResult NotFound(string id) => Problem(DatasetAccessProblem.NotFound(id));

    static ProblemHttpResult Problem(DatasetAccessProblem problem) =>
        TypedResults.Problem(statusCode: problem.Status, type: problem.Type, title: problem.Title, detail: problem.Detail);

    public static ProblemHttpResult InvalidId(string id) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest, type: CatalogProblems.InvalidDatasetId, title: "Invalid dataset id",
        detail: $"'{Truncate(id)}' is not a valid dataset id. {MetadataRules.IdRule}");

    public static ProblemHttpResult BadPaging(string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest, type: CatalogProblems.InvalidQuery, title: "Invalid query", detail: detail);

    static string Truncate(string text) => text.Length > 120 ? text[..120] + "…" : text;
}
