namespace DataPlatform.Catalog.Query;

/// <summary>
/// A query the caller got wrong: an unknown column, a type mismatch, a malformed token. Front doors answer it
/// with 400 in their own error format, naming <see cref="Target"/>.
/// </summary>
sealed class QueryException(string target, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The part of the query at fault, such as <c>$filter</c> or <c>where.population</c>.</summary>
    public string Target { get; } = target;
}

/// <summary>
/// The limits the query core enforces, and why each was hit. Each has one setting in <see cref="QueryOptions"/>
/// and one check, in <see cref="QueryPlanLimits"/> or <see cref="QueryExecutor"/>.
/// </summary>
enum QueryLimit
{
    PageSize,
    Groups,
    Timeout,
    Complexity,
    SearchTerms,
    FilterSize,
    FilterDepth,
    DocumentSize,
}

/// <summary>
/// A query that is valid but exceeds one of the platform's limits; answered with 400 and the limit's name.
/// <see cref="Target"/> names the part of the query at fault in neutral terms (<c>filter</c>, <c>search</c>,
/// <c>page</c>), which each front door spells its own way.
/// </summary>
sealed class QueryLimitException(QueryLimit limit, string message, string? target = null) : Exception(message)
{
    public QueryLimit Limit { get; } = limit;

    public string? Target { get; } = target;
}

/// <summary>
/// A query that failed in the database for a reason that is neither the caller's fault nor a limit. The cause is
/// logged with the trace id; the caller is told only that the query failed, never the engine or its message.
/// </summary>
sealed class QueryFailedException(Exception inner)
    : Exception("The query could not be completed. Try again later; if it keeps failing, report the trace id.", inner);

/// <summary>
/// The query core's errors as RFC 9457 problems, for the REST front doors (<c>/rows</c>, downloads): the one
/// mapping they share, as OData and GraphQL each have theirs.
/// </summary>
static class QueryProblems
{
    public const string QueryLimitExceeded = "/problems/query-limit-exceeded";
    public const string QueryFailed = "/problems/query-failed";

    /// <summary>The problem for <paramref name="error"/>, or <c>null</c> when it is not one of the query core's.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? For(Exception error) => error switch
    {
        QueryException query => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, type: Publishing.CatalogProblems.InvalidQuery,
            title: "Invalid query", detail: query.Message, extensions: new Dictionary<string, object?> { ["target"] = query.Target }),
        QueryLimitException limit => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, type: QueryLimitExceeded,
            title: "Query limit exceeded", detail: limit.Message, extensions: new Dictionary<string, object?> { ["limit"] = limit.Limit.ToString() }),
        QueryFailedException failed => TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, type: QueryFailed,
            title: "Query failed", detail: failed.Message),
        _ => null,
    };
}
