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

/// <summary>The limits the query core enforces, and why each was hit.</summary>
enum QueryLimit
{
    PageSize,
    Groups,
    Timeout,
    Complexity,
}

/// <summary>A query that is valid but exceeds one of the platform's limits; answered with 400 and the limit's name.</summary>
sealed class QueryLimitException(QueryLimit limit, string message) : Exception(message)
{
    public QueryLimit Limit { get; } = limit;
}
