using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Catalog.Query;

/// <summary>
/// The limits of the query core, bound from <c>Catalog:Query</c>. Every front door (OData, GraphQL, <c>/rows</c>,
/// downloads) shares them: the plan is checked against them once (<see cref="QueryPlanLimits"/>), whatever built it.
/// </summary>
public sealed class QueryOptions
{
    public const string SectionName = "Catalog:Query";

    /// <summary>Rows per page when the client does not ask for fewer.</summary>
    [Range(1, 100_000)]
    public int DefaultPageSize { get; set; } = 1_000;

    /// <summary>The most rows one page may hold, whatever the client asks for (<c>$top</c>, <c>first</c>, <c>odata.maxpagesize</c>).</summary>
    [Range(1, 100_000)]
    public int MaxPageSize { get; set; } = 10_000;

    /// <summary>The most groups an aggregation may produce before the query is refused.</summary>
    [Range(1, 1_000_000)]
    public int MaxGroups { get; set; } = 10_000;

    /// <summary>How long one statement may run before it is cancelled and the client told so.</summary>
    [Range(1, 3_600)]
    public int StatementTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long the statement of one download export may run, from its start to its last row, before it is stopped.
    /// Exports legitimately read a whole version for minutes (a file written as it is read, or a cached file built
    /// for everyone), so they get a limit of their own rather than the statement timeout; a client that goes away
    /// stops its export at once, whatever this says.
    /// </summary>
    [Range(1, 86_400)]
    public int ExportTimeoutSeconds { get; set; } = 600;

    /// <summary>
    /// On PostgreSQL, how many distinct statements each pooled query connection keeps prepared (Npgsql's
    /// <c>Max Auto Prepare</c>): a statement is prepared once it has run a few times on a connection, and the least
    /// recently used one makes room for a new one. Repeated queries then skip parsing and planning. 0 turns it off.
    /// </summary>
    [Range(0, 10_000)]
    public int PreparedStatements { get; set; } = 256;

    /// <summary>
    /// The most a GraphQL document may cost, counting each field once per row it may return (a connection's
    /// <c>first</c> multiplies its children). The default admits a full page of a wide dataset, and refuses a
    /// document that asks for many full pages at once.
    /// </summary>
    [Range(1, 100_000_000)]
    public int MaxGraphQLComplexity { get; set; } = 500_000;

    /// <summary>The deepest a GraphQL document may nest; the standard introspection query needs 13.</summary>
    [Range(1, 100)]
    public int MaxGraphQLDepth { get; set; } = 15;

    /// <summary>
    /// The most words (and quoted phrases) one search may hold, through OData's <c>$search</c>, GraphQL's
    /// <c>search</c> and downloads alike. Each term is a scan of every text column.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxSearchTerms { get; set; } = 32;

    /// <summary>
    /// The most nodes a filter may hold (comparisons, operators, literals, the values of an <c>in</c> list), counting
    /// the filter, the filter on groups, the projections and the sort keys together. It bounds the SQL sent to the
    /// database and the parameters bound to it.
    /// </summary>
    [Range(1, 20_000)]
    public int MaxFilterNodes { get; set; } = 1_000;

    /// <summary>
    /// The deepest a filter may nest. A chain of one operator (<c>a or b or c …</c>) counts as one level, so a long
    /// list of alternatives is limited by <see cref="MaxFilterNodes"/> alone.
    /// </summary>
    [Range(1, 200)]
    public int MaxFilterDepth { get; set; } = 32;

    /// <summary>
    /// The longest GraphQL document accepted, in UTF-8 bytes. A longer one is refused before it is parsed, because
    /// parsing and validating a document costs time that grows faster than its length.
    /// </summary>
    [Range(1_024, 10_000_000)]
    public int MaxGraphQLDocumentBytes { get; set; } = 64 * 1024;

    /// <summary>The most lexical tokens a GraphQL document may hold; counted before it is parsed.</summary>
    [Range(100, 1_000_000)]
    public int MaxGraphQLTokens { get; set; } = 10_000;

    /// <summary>
    /// The most fields a GraphQL document may select, counting those in fragments; checked after parsing and before
    /// validation, whose cost grows with the square of the fields that may overlap.
    /// </summary>
    [Range(10, 100_000)]
    public int MaxGraphQLSelections { get; set; } = 1_000;

    /// <summary>The most errors one GraphQL response lists; the rest are summarised in one last error.</summary>
    [Range(1, 10_000)]
    public int MaxGraphQLErrors { get; set; } = 100;
}
