namespace DataPlatform.Catalog.Query;

/// <summary>
/// What a query asks of one dataset, independent of the front door (OData or GraphQL) that built it. One
/// translator (<see cref="SqlTranslator"/>) turns it into parameterized SQL for each database.
/// </summary>
sealed record QueryPlan(QueryableDataset Dataset)
{
    /// <summary>Rows must satisfy this predicate, or all rows pass when <c>null</c>.</summary>
    public QueryExpression? Filter { get; init; }

    /// <summary>A free-text search (terms joined by and/or/not) over the string columns, diacritics ignored.</summary>
    public QueryExpression? Search { get; init; }

    /// <summary>The output columns of an ungrouped query; every visible column when empty.</summary>
    public IReadOnlyList<Projection> Select { get; init; } = [];

    /// <summary>The sort keys in order; the row id always breaks ties so that paging is stable.</summary>
    public IReadOnlyList<OrderKey> OrderBy { get; init; } = [];

    /// <summary>Rows to skip before the first returned one (only on the first page).</summary>
    public long Skip { get; init; }

    /// <summary>
    /// <see cref="Take"/> for an aggregation that answers whole: every group, up to the group limit, which the executor
    /// enforces (one less than <see cref="int.MaxValue"/>, because the executor reads one more to detect the excess).
    /// </summary>
    public const int AllGroups = int.MaxValue - 1;

    /// <summary>The most rows to return.</summary>
    public int Take { get; init; } = 100;

    /// <summary>
    /// The rows the client asked for over all pages (OData's <c>$top</c>), when more than this page may return;
    /// checked against the page limit like <see cref="Take"/>.
    /// </summary>
    public long? RequestedRows { get; init; }

    /// <summary>
    /// Who reads, through which front door, and the request as they sent it: what the audit log records for a read
    /// of a restricted dataset. The executor refuses to read a restricted dataset for a plan without it.
    /// </summary>
    public QueryReader? Reader { get; init; }

    /// <summary>Resume after this row (keyset paging), or start at the beginning.</summary>
    public KeysetPosition? After { get; init; }

    /// <summary>Grouping and aggregates; <c>null</c> for a query over rows.</summary>
    public Grouping? Grouping { get; init; }

    /// <summary>Filters applied to the groups after aggregation (OData <c>$apply=…/filter(…)</c> after a groupby).</summary>
    public QueryExpression? GroupFilter { get; init; }

    /// <summary>True when the plan groups or aggregates.</summary>
    public bool IsGrouped => Grouping is not null;
}

/// <summary>The reader of a plan's rows, for the audit log.</summary>
/// <param name="Consumer">Who reads.</param>
/// <param name="FrontDoor">How: <c>odata</c>, <c>graphql</c>, <c>rows</c> or <c>download</c>.</param>
/// <param name="Query">The request as sent (path and query string, or the GraphQL document).</param>
sealed record QueryReader(DataPlatform.Contracts.ConsumerContext.ConsumerContext Consumer, string FrontDoor, string Query)
{
    /// <summary>
    /// False when a count is part of a read that is audited on its own (a GraphQL connection asking for rows and
    /// their total), so that one request leaves one entry.
    /// </summary>
    public bool AuditCounts { get; init; } = true;

    /// <summary>
    /// False for a read that is not one consumer's: building a whole version's download file, which is cached and then
    /// audited each time it is served to someone. The opt-out is explicit, so no front door skips the audit by
    /// accident.
    /// </summary>
    public bool Audited { get; init; } = true;

    /// <summary>The reader of a file the catalog builds for its download cache.</summary>
    public static QueryReader DownloadCache { get; } =
        new(DataPlatform.Contracts.ConsumerContext.ConsumerContext.Anonymous(null, DateTimeOffset.UnixEpoch), "download-cache", "") { Audited = false };
}

/// <summary>An output column: its name in the result and the expression that computes it.</summary>
sealed record Projection(string Name, QueryExpression Expression);

/// <summary>A sort key.</summary>
sealed record OrderKey(QueryExpression Expression, bool Descending);

/// <summary>The group keys and aggregates of a grouped query. Without keys, the whole set is one group.</summary>
sealed record Grouping(IReadOnlyList<Projection> Keys, IReadOnlyList<Aggregate> Aggregates);

/// <summary>The aggregate functions both front doors offer.</summary>
enum AggregateFunction
{
    Count,
    Sum,
    Average,
    Min,
    Max,
    CountDistinct,
}

/// <summary>One aggregate in a grouped query; <see cref="Argument"/> is <c>null</c> for a row count.</summary>
sealed record Aggregate(string Name, AggregateFunction Function, QueryExpression? Argument)
{
    /// <summary>The type of the aggregate's value.</summary>
    public ColumnType Type => Function switch
    {
        AggregateFunction.Count or AggregateFunction.CountDistinct => ColumnType.Integer,
        AggregateFunction.Average => ColumnType.Decimal,
        _ => Argument?.Type ?? ColumnType.Integer,
    };
}

/// <summary>
/// Where the previous page ended: the values of its last row's sort keys and its row id. It travels to clients
/// as an opaque token (<see cref="KeysetToken"/>).
/// </summary>
sealed record KeysetPosition(IReadOnlyList<object?> Values, long RowId);

/// <summary>The binary operators of the filter language.</summary>
enum BinaryOperator
{
    Equal,
    NotEqual,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    And,
    Or,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

/// <summary>
/// A node of a filter, projection or sort expression. <see cref="Type"/> is <c>null</c> only for the untyped
/// null literal.
/// </summary>
abstract record QueryExpression
{
    public abstract ColumnType? Type { get; }
}

/// <summary>A dataset column.</summary>
sealed record ColumnExpression(QueryableColumn Column) : QueryExpression
{
    public override ColumnType? Type => Column.Type;
}

/// <summary>
/// An output column of a grouped query (a group key or an aggregate), by name; used to sort or filter groups.
/// </summary>
sealed record OutputExpression(string Name, ColumnType OutputType) : QueryExpression
{
    public override ColumnType? Type => OutputType;
}

/// <summary>
/// A literal. Values are <see cref="string"/>, <see cref="long"/>, <see cref="decimal"/>, <see cref="bool"/>,
/// <see cref="DateOnly"/>, <see cref="DateTime"/> (unspecified kind, read as UTC) or <c>null</c>. Every one
/// becomes a SQL parameter.
/// </summary>
sealed record ConstantExpression(object? Value, ColumnType? ValueType) : QueryExpression
{
    public static readonly ConstantExpression Null = new(null, null);

    public override ColumnType? Type => ValueType;
}

/// <summary>A comparison, logical or arithmetic operation.</summary>
sealed record BinaryExpression(BinaryOperator Operator, QueryExpression Left, QueryExpression Right) : QueryExpression
{
    public override ColumnType? Type => Operator switch
    {
        BinaryOperator.Add or BinaryOperator.Subtract or BinaryOperator.Multiply or BinaryOperator.Divide or BinaryOperator.Modulo =>
            Left.Type == ColumnType.Integer && Right.Type is ColumnType.Integer or null ? ColumnType.Integer : ColumnType.Decimal,
        _ => ColumnType.Boolean,
    };

    public bool IsArithmetic => Operator >= BinaryOperator.Add;
}

/// <summary>Logical negation.</summary>
sealed record NotExpression(QueryExpression Operand) : QueryExpression
{
    public override ColumnType? Type => ColumnType.Boolean;
}

/// <summary>Arithmetic negation.</summary>
sealed record NegateExpression(QueryExpression Operand) : QueryExpression
{
    public override ColumnType? Type => Operand.Type;
}

/// <summary>Membership in a list of literals.</summary>
sealed record InExpression(QueryExpression Operand, IReadOnlyList<ConstantExpression> Values) : QueryExpression
{
    public override ColumnType? Type => ColumnType.Boolean;
}

/// <summary>The functions of the filter language.</summary>
enum QueryFunction
{
    Contains,
    StartsWith,
    EndsWith,
    ToLower,
    ToUpper,
    Trim,
    Length,
    IndexOf,
    Substring,
    Concat,
    Year,
    Month,
    Day,
    Date,
}

/// <summary>A function call.</summary>
sealed record FunctionExpression(QueryFunction Function, IReadOnlyList<QueryExpression> Arguments) : QueryExpression
{
    public override ColumnType? Type => Function switch
    {
        QueryFunction.Contains or QueryFunction.StartsWith or QueryFunction.EndsWith => ColumnType.Boolean,
        QueryFunction.Length or QueryFunction.IndexOf or QueryFunction.Year or QueryFunction.Month or QueryFunction.Day => ColumnType.Integer,
        QueryFunction.Date => ColumnType.Date,
        _ => ColumnType.String,
    };

    /// <summary>The number of arguments each function takes: (fewest, most).</summary>
    public static (int Min, int Max) Arity(QueryFunction function) => function switch
    {
        QueryFunction.Contains or QueryFunction.StartsWith or QueryFunction.EndsWith or QueryFunction.IndexOf or QueryFunction.Concat => (2, 2),
        QueryFunction.Substring => (2, 3),
        _ => (1, 1),
    };
}

/// <summary>A search term: true when any string column contains it, ignoring case and diacritics.</summary>
sealed record SearchTermExpression(string Term) : QueryExpression
{
    public override ColumnType? Type => ColumnType.Boolean;
}
