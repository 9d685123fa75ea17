using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.Metering;
using DataPlatform.ServiceDefaults.ConsumerContext;
using GraphQL;
using GraphQL.Execution;
using GraphQL.SystemTextJson;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQL.Validation.Complexity;
using GraphQL.Validation.Rules.Custom;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.GraphQL;

/// <summary>
/// GraphQL over HTTP at <c>/graphql</c> (GET and POST, as the GraphQL-over-HTTP specification describes), with an
/// offline IDE page for browsers. Written here because GraphQL.Server's transport is not on the package feed.
/// </summary>
public static partial class GraphQLApi
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
        if (!AcceptsJson(context.Request))
        {
            // GraphQL over HTTP: a client that accepts neither JSON media type cannot read any answer.
            return TypedResults.Problem(statusCode: StatusCodes.Status406NotAcceptable, title: "Not acceptable",
                detail: $"GraphQL answers in {GraphQLResponseJson} or application/json; the request's Accept header allows neither.");
        }

        if (string.IsNullOrWhiteSpace(request.Query))
        {
            return RequestError(context, "The request has no query.");
        }

        var schema = await schemas.GetAsync(context.GetConsumer().Entitlements, cancellationToken);
        var documents = _documents.GetValue(schema, _ => new ConcurrentDictionary<string, GraphQLDocument>(StringComparer.Ordinal));
        documents.TryGetValue(request.Query, out var cached);
        GraphQLDocument? parsed = null;
        if (cached is null)
        {
            // The document's size is checked before any work that grows faster than it: parsing, then validation.
            var refusal = DocumentLimits.Check(request.Query, options, out parsed);
            if (refusal is not null)
            {
                return RequestError(context, refusal, code: "DOCUMENT_TOO_LARGE");
            }
        }

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GraphQLApi).FullName!);
        var complexity = new ComplexityValidationRule(new ComplexityOptions
        {
            MaxDepth = options.MaxGraphQLDepth,
            MaxComplexity = options.MaxGraphQLComplexity,
            DefaultComplexityImpactDelegate = IntrospectionIsFree,
        });
        var user = new GraphQLUserContext(context.GetConsumer(), request.Query);
        var result = await _executer.ExecuteAsync(execution =>
        {
            execution.Schema = schema;
            execution.Query = request.Query;
            execution.Document = cached ?? parsed;
            execution.OperationName = request.OperationName;
            execution.Variables = request.Variables;
            execution.RequestServices = context.RequestServices;
            execution.UserContext = user;
            execution.CancellationToken = cancellationToken;
            // A cached document already passed every rule against this schema; only the complexity limit is checked
            // again, because its cost depends on arguments (first) that variables may change from one request to
            // the next. The variables themselves are coerced and checked on every request.
            execution.ValidationRules = cached is null ? [.. DocumentValidator.CoreRules, complexity] : [complexity];
            execution.UnhandledExceptionDelegate = unhandled =>
            {
                // A resolver failed in a way the query core did not translate: the cause goes to the log, and the
                // caller gets a message that names neither the engine nor the code path.
                LogResolverFailed(logger, unhandled.OriginalException);
                unhandled.Exception = new ExecutionError("The request could not be completed. Report the trace id if it keeps failing.") { Code = "INTERNAL_ERROR" };
                return Task.CompletedTask;
            };
        });

        CapErrors(result, options.MaxGraphQLErrors);

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
        context.Response.Headers[UsageReport.Header] = UsageReport.Format(Outcome(result), user.Products);
        return new GraphQLResult(result, status, modern ? GraphQLResponseJson : "application/json");
    }

    /// <summary>
    /// The status a response stands for, whatever status it is sent with, for the gateway's metering: 200 when it
    /// carried data; when it carried only errors, the status the first one would have as a REST answer (401 without a
    /// key, 403 without the subscription, 500 for a failure of ours, 400 for a request in error). A refusal is
    /// therefore not billed as a data request, while partial data (one dataset refused, another read) is.
    /// </summary>
    static int Outcome(ExecutionResult result)
    {
        if (result.Errors is not { Count: > 0 } errors || (result.Executed && CarriedData(result.Data)))
        {
            return StatusCodes.Status200OK;
        }

        return errors[0].Code switch
        {
            "AUTHENTICATION_REQUIRED" => StatusCodes.Status401Unauthorized,
            "SUBSCRIPTION_REQUIRED" => StatusCodes.Status403Forbidden,
            "INTERNAL_ERROR" => StatusCodes.Status500InternalServerError,
            _ => StatusCodes.Status400BadRequest,
        };
    }

    /// <summary>Whether any top-level field of the answer holds a value (a refused or failed dataset field is null).</summary>
    static bool CarriedData(object? data) => data switch
    {
        null => false,
        ObjectExecutionNode { SubFields: { } fields } => fields.Any(f => f.Result is not null && f is not ObjectExecutionNode { SubFields: null }),
        ObjectExecutionNode => false,
        _ => true,
    };

    static readonly Func<FieldImpactContext, FieldComplexityResult> _defaultImpact = new ComplexityOptions().DefaultComplexityImpactDelegate;

    // Introspection reads the schema, not data: its cost grows with the number of datasets, and tools such as
    // GraphiQL send the standard introspection query on every start, so it must never hit the data limit.
    static FieldComplexityResult IntrospectionIsFree(FieldImpactContext context) =>
        context.FieldDefinition.Name.StartsWith("__", StringComparison.Ordinal) || context.ParentType.Name.StartsWith("__", StringComparison.Ordinal)
            ? new FieldComplexityResult(0, 1)
            : _defaultImpact(context);

    /// <summary>
    /// Keeps the first <paramref name="max"/> errors and says how many more there were. A document can repeat one
    /// mistake thousands of times (5,000 duplicate directives), and each repetition would otherwise add a message.
    /// </summary>
    static void CapErrors(ExecutionResult result, int max)
    {
        if (result.Errors is { } errors && errors.Count > max)
        {
            var omitted = errors.Count - max;
            var kept = new ExecutionErrors();
            foreach (var error in errors.Take(max))
            {
                kept.Add(error);
            }

            result.Errors = kept;
            kept.Add(new ExecutionError($"{omitted.ToString(CultureInfo.InvariantCulture)} more errors were found and are not listed.") { Code = "TOO_MANY_ERRORS" });
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A GraphQL resolver failed")]
    static partial void LogResolverFailed(ILogger logger, Exception exception);

    static IResult RequestError(HttpContext context, string message, int status = StatusCodes.Status400BadRequest, string code = "BAD_REQUEST")
    {
        var result = new ExecutionResult { Errors = [new ExecutionError(message) { Code = code }] };
        context.Response.Headers[UsageReport.Header] = UsageReport.Format(status, []);
        return new GraphQLResult(result, status, Accepts(context.Request, GraphQLResponseJson) ? GraphQLResponseJson : "application/json");
    }

    /// <summary>True when the Accept header is absent or allows a JSON answer.</summary>
    static bool AcceptsJson(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        return accept.Length == 0
            || Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var types) is false
            || types.Any(t => t.Quality is not 0 && (t.MatchesAllTypes || t.MediaType.Equals("application/*", StringComparison.OrdinalIgnoreCase)
                || t.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || t.MediaType.Equals(GraphQLResponseJson, StringComparison.OrdinalIgnoreCase)));
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

/// <summary>
/// The size limits of a GraphQL document, checked in order of cost: bytes before lexing, tokens before parsing,
/// selections before validation. Each check does work that grows linearly with what passed the one before.
/// </summary>
static class DocumentLimits
{
    /// <summary>
    /// Why the document is refused, or <c>null</c> with the parsed document in <paramref name="parsed"/> (or
    /// <c>null</c> when it does not parse: the executer then reports the syntax error in its own words).
    /// </summary>
    public static string? Check(string query, QueryOptions options, out GraphQLDocument? parsed)
    {
        parsed = null;
        var bytes = Encoding.UTF8.GetByteCount(query);
        if (bytes > options.MaxGraphQLDocumentBytes)
        {
            return $"The document is {bytes.ToString(CultureInfo.InvariantCulture)} bytes long; at most {options.MaxGraphQLDocumentBytes.ToString(CultureInfo.InvariantCulture)} are accepted (Catalog:Query:MaxGraphQLDocumentBytes).";
        }

        var tokens = 0;
        try
        {
            for (var position = 0; ;)
            {
                var token = Lexer.Lex(query, position);
                if (token.Kind == TokenKind.EOF)
                {
                    break;
                }

                if (++tokens > options.MaxGraphQLTokens)
                {
                    return $"The document holds more than {options.MaxGraphQLTokens.ToString(CultureInfo.InvariantCulture)} tokens (Catalog:Query:MaxGraphQLTokens).";
                }

                position = token.End;
            }

            parsed = new GraphQLDocumentBuilder().Build(query);
        }
        catch (Exception e) when (e is GraphQLParserException or SyntaxError)
        {
            parsed = null;
            return null;
        }

        var selections = Selections(parsed, options.MaxGraphQLSelections);
        return selections > options.MaxGraphQLSelections
            ? $"The document selects more than {options.MaxGraphQLSelections.ToString(CultureInfo.InvariantCulture)} fields, counting those in fragments each time they are used (Catalog:Query:MaxGraphQLSelections)."
            : null;
    }

    /// <summary>
    /// The fields and fragment spreads the document selects, with every fragment counted where it is spread, up to a
    /// little past <paramref name="max"/>. The walk keeps its own stack, and counting each spread ends it even on
    /// fragments that spread each other in a cycle (which validation would refuse later).
    /// </summary>
    static int Selections(GraphQLDocument document, int max)
    {
        var fragments = document.Definitions.OfType<GraphQLFragmentDefinition>()
            .GroupBy(f => f.FragmentName.Name.StringValue)
            .ToDictionary(g => g.Key, g => g.First().SelectionSet);
        var pending = new Stack<GraphQLSelectionSet>();
        foreach (var operation in document.Definitions.OfType<GraphQLOperationDefinition>())
        {
            pending.Push(operation.SelectionSet);
        }

        var count = 0;
        while (pending.Count > 0 && count <= max)
        {
            foreach (var selection in pending.Pop().Selections)
            {
                count++;
                switch (selection)
                {
                    case GraphQLField { SelectionSet: { } children }:
                        pending.Push(children);
                        break;
                    case GraphQLInlineFragment inline:
                        pending.Push(inline.SelectionSet);
                        break;
                    case GraphQLFragmentSpread spread when fragments.TryGetValue(spread.FragmentName.Name.StringValue, out var set):
                        pending.Push(set);
                        break;
                }
            }
        }

        return count;
    }
}
