using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using DataPlatform.Catalog.Query;
using DataPlatform.ServiceDefaults.ConsumerContext;
using GraphQL;
using GraphQL.SystemTextJson;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQL.Validation.Complexity;
using GraphQL.Validation.Rules.Custom;
using GraphQLParser.AST;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.GraphQL;

/// <summary>
/// GraphQL over HTTP at <c>/graphql</c> (GET and POST, as the GraphQL-over-HTTP specification describes), with an
/// offline IDE page for browsers. Written here because GraphQL.Server's transport is not on the package feed.
/// </summary>
public static class GraphQLApi
{
    const string GraphQLResponseJson = "application/graphql-response+json";

    /// <summary>Relaxed escaping, so Vietnamese stays readable in responses.</summary>
    static readonly GraphQLSerializer _serializer = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    static readonly DocumentExecuter _executer = new();

    /// <summary>
    /// Parsed and validated documents by query text, per schema (a schema is one set of entitlements at one catalog
    /// generation, so a publish starts afresh). Clients repeat the same few documents with different variables;
    /// parsing and running the full validation again was most of the cost of a small query. The package that
    /// usually does this (GraphQL.MemoryCache) is not on the feed, and it would key on the text alone.
    /// </summary>
    static readonly ConditionalWeakTable<ISchema, ConcurrentDictionary<string, GraphQLDocument>> _documents = new();

    const int MaxCachedDocuments = 1_000;

    public static IEndpointRouteBuilder MapGraphQLApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/graphql", GetAsync).WithTags("GraphQL").WithName("GetGraphQL")
            .WithSummary("Runs a GraphQL query given in the query string; browsers get the IDE page");
        app.MapPost("/graphql", PostAsync).WithTags("GraphQL").WithName("PostGraphQL")
            .WithSummary("Runs a GraphQL request (application/json or application/graphql)");
        return app;
    }

    static async Task<IResult> GetAsync(HttpContext context, GraphQLSchemaProvider schemas, IOptions<QueryOptions> options, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        if (!query.ContainsKey("query") && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Content(GraphQLIdePage.Html, "text/html; charset=utf-8");
        }

        Inputs? variables = null;
        if (query["variables"].ToString() is { Length: > 0 } json)
        {
            try
            {
                variables = _serializer.Deserialize<Inputs>(json);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException or ArgumentException or FormatException)
            {
                return RequestError(context, "The variables parameter is not a JSON object: " + e.Message);
            }
        }

        var request = new GraphQLRequest { Query = query["query"], OperationName = query["operationName"], Variables = variables };
        return await ExecuteAsync(context, request, schemas, options.Value, cancellationToken);
    }

    static async Task<IResult> PostAsync(HttpContext context, GraphQLSchemaProvider schemas, IOptions<QueryOptions> options, CancellationToken cancellationToken)
    {
        var contentType = context.Request.ContentType ?? "";
        GraphQLRequest? request;
        if (contentType.StartsWith("application/graphql", StringComparison.OrdinalIgnoreCase) && !contentType.StartsWith("application/graphql-response", StringComparison.OrdinalIgnoreCase))
        {
            using var reader = new StreamReader(context.Request.Body);
            request = new GraphQLRequest { Query = await reader.ReadToEndAsync(cancellationToken) };
        }
        else if (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                request = await _serializer.ReadAsync<GraphQLRequest>(context.Request.Body, cancellationToken);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException or ArgumentException or FormatException)
            {
                return RequestError(context, "The body is not a GraphQL request: " + e.Message);
            }
        }
        else
        {
            return RequestError(context, "Send the request as application/json (or application/graphql).", StatusCodes.Status415UnsupportedMediaType);
        }

        return await ExecuteAsync(context, request ?? new GraphQLRequest(), schemas, options.Value, cancellationToken);
    }

    static async Task<IResult> ExecuteAsync(HttpContext context, GraphQLRequest request, GraphQLSchemaProvider schemas, QueryOptions options, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Query))
        {
            return RequestError(context, "The request has no query.");
        }

        var schema = await schemas.GetAsync(context.GetConsumer().Entitlements, cancellationToken);
        var documents = _documents.GetValue(schema, _ => new ConcurrentDictionary<string, GraphQLDocument>(StringComparer.Ordinal));
        documents.TryGetValue(request.Query, out var cached);
        var complexity = new ComplexityValidationRule(new ComplexityOptions
        {
            MaxDepth = options.MaxGraphQLDepth,
            MaxComplexity = options.MaxGraphQLComplexity,
            DefaultComplexityImpactDelegate = IntrospectionIsFree,
        });
        var result = await _executer.ExecuteAsync(execution =>
        {
            execution.Schema = schema;
            execution.Query = request.Query;
            execution.Document = cached;
            execution.OperationName = request.OperationName;
            execution.Variables = request.Variables;
            execution.RequestServices = context.RequestServices;
            execution.UserContext = new GraphQLUserContext(context.GetConsumer(), request.Query);
            execution.CancellationToken = cancellationToken;
            // A cached document already passed every rule against this schema; only the complexity limit is checked
            // again, because its cost depends on arguments (first) that variables may change from one request to
            // the next. The variables themselves are coerced and checked on every request.
            execution.ValidationRules = cached is null ? [.. DocumentValidator.CoreRules, complexity] : [complexity];
        });

        if (cached is null && result.Executed && result.Document is { } document)
        {
            if (documents.Count >= MaxCachedDocuments)
            {
                documents.Clear();
            }

            documents[request.Query] = document;
        }

        // A request that never executed (a syntax or validation error) is a client error under the newer media type;
        // application/json clients always get 200 with the errors array, as the specification allows.
        var modern = Accepts(context.Request, GraphQLResponseJson);
        var status = modern && !result.Executed ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
        return new GraphQLResult(result, status, modern ? GraphQLResponseJson : "application/json");
    }

    static readonly Func<FieldImpactContext, FieldComplexityResult> _defaultImpact = new ComplexityOptions().DefaultComplexityImpactDelegate;

    // Introspection reads the schema, not data: its cost grows with the number of datasets, and tools such as
    // GraphiQL send the standard introspection query on every start, so it must never hit the data limit.
    static FieldComplexityResult IntrospectionIsFree(FieldImpactContext context) =>
        context.FieldDefinition.Name.StartsWith("__", StringComparison.Ordinal) || context.ParentType.Name.StartsWith("__", StringComparison.Ordinal)
            ? new FieldComplexityResult(0, 1)
            : _defaultImpact(context);

    static IResult RequestError(HttpContext context, string message, int status = StatusCodes.Status400BadRequest)
    {
        var result = new ExecutionResult { Errors = [new ExecutionError(message) { Code = "BAD_REQUEST" }] };
        return new GraphQLResult(result, status, Accepts(context.Request, GraphQLResponseJson) ? GraphQLResponseJson : "application/json");
    }

    static bool Accepts(HttpRequest request, string mediaType) =>
        request.Headers.Accept.ToString().Contains(mediaType, StringComparison.OrdinalIgnoreCase);

    sealed class GraphQLResult(ExecutionResult result, int status, string mediaType) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = mediaType + "; charset=utf-8";
            await _serializer.WriteAsync(httpContext.Response.Body, result, httpContext.RequestAborted);
        }
    }
}
