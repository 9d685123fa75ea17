using System.Globalization;
using System.Text;

namespace DataPlatform.Catalog.Query;

/// <summary>A statement ready to run: SQL text with named parameters, and what each output column holds.</summary>
/// <param name="Text">The SQL; every value in it is a parameter, every identifier comes from the schema, quoted.</param>
/// <param name="Parameters">Parameter names (without <c>@</c>) and their values in the database's storage form.</param>
/// <param name="Outputs">The result columns the caller sees, in order.</param>
/// <param name="SortKeyTypes">For row queries, the types of the hidden sort-key columns that follow the outputs
/// (then the row id), from which the next page's keyset position is read.</param>
sealed record SqlStatement(
    string Text,
    IReadOnlyList<KeyValuePair<string, object>> Parameters,
    IReadOnlyList<OutputColumn> Outputs,
    IReadOnlyList<ColumnType> SortKeyTypes);

/// <summary>A result column: its name and type.</summary>
sealed record OutputColumn(string Name, ColumnType Type);

/// <summary>
/// Turns a <see cref="QueryPlan"/> into SQL for one database. Predicates follow OData's null semantics with
/// two-valued logic: <c>eq</c> and <c>ne</c> treat null as a value (<c>x eq null</c> is true for null x, and
/// <c>x ne 5</c> is true for null x), and an ordering comparison or function with a null operand is false. Each
/// predicate is therefore written so it never yields SQL NULL, which keeps <c>not</c> exact, while a comparison
/// of a column with a literal stays a plain indexable <c>col &gt; @p</c>.
/// </summary>
sealed class SqlTranslator
{
    readonly SqlDialect _dialect;
    readonly List<KeyValuePair<string, object>> _parameters = [];
    readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);

    SqlTranslator(SqlDialect dialect) => _dialect = dialect;

    /// <summary>The statement that returns the plan's rows (or groups).</summary>
    public static SqlStatement Translate(QueryPlan plan, SqlDialect dialect) => new SqlTranslator(dialect).Rows(plan);

    /// <summary>The statement that counts the rows (or groups) the plan matches, ignoring paging.</summary>
    public static SqlStatement TranslateCount(QueryPlan plan, SqlDialect dialect) => new SqlTranslator(dialect).Count(plan);

    SqlStatement Rows(QueryPlan plan)
    {
        var sql = new StringBuilder("SELECT ");
        var outputs = new List<OutputColumn>();
        var sortKeyTypes = new List<ColumnType>();
        var table = SqlDialect.Quote(plan.Dataset.TableName);
        var where = Where(plan);

        if (plan.Grouping is { } grouping)
        {
            var items = new List<string>();
            foreach (var key in grouping.Keys)
            {
                var value = Value(key.Expression);
                _outputs[key.Name] = value;
                items.Add(value);
                outputs.Add(new OutputColumn(key.Name, key.Expression.Type ?? ColumnType.String));
            }

            foreach (var aggregate in grouping.Aggregates)
            {
                var argument = aggregate.Argument is null ? null : Value(aggregate.Argument);
                var value = _dialect.Aggregate(aggregate.Function, argument, aggregate.Argument?.Type);
                _outputs[aggregate.Name] = value;
                items.Add(value);
                outputs.Add(new OutputColumn(aggregate.Name, aggregate.Type));
            }

            sql.Append(string.Join(", ", items)).Append(" FROM ").Append(table);
            AppendWhere(sql, where);
            if (grouping.Keys.Count > 0)
            {
                sql.Append(" GROUP BY ").Append(string.Join(", ", grouping.Keys.Select(k => _outputs[k.Name])));
            }

            if (plan.GroupFilter is not null)
            {
                sql.Append(" HAVING ").Append(Predicate(plan.GroupFilter));
            }

            var order = plan.OrderBy.Count > 0
                ? plan.OrderBy
                : grouping.Keys.Select(k => new OrderKey(new OutputExpression(k.Name, k.Expression.Type ?? ColumnType.String), false)).ToList();
            if (order.Count > 0)
            {
                sql.Append(" ORDER BY ").Append(string.Join(", ", order.Select(o => OrderTerm(Value(o.Expression), o.Descending))));
            }
        }
        else
        {
            var items = new List<string>();
            foreach (var projection in plan.Select)
            {
                items.Add(Value(projection.Expression));
                outputs.Add(new OutputColumn(projection.Name, projection.Expression.Type ?? ColumnType.String));
            }

            var sortKeys = plan.OrderBy.Select(o => Value(o.Expression)).ToList();
            items.AddRange(sortKeys);
            sortKeyTypes.AddRange(plan.OrderBy.Select(o => o.Expression.Type ?? ColumnType.String));
            var rowId = SqlDialect.Quote(QueryableDataset.RowIdColumn);
            items.Add(rowId);

            if (plan.After is { } after)
            {
                var keyset = Keyset(plan.OrderBy, sortKeys, after, rowId);
                where = where is null ? keyset : $"{where} AND {keyset}";
            }

            sql.Append(string.Join(", ", items)).Append(" FROM ").Append(table);
            AppendWhere(sql, where);
            sql.Append(" ORDER BY ");
            foreach (var (key, index) in plan.OrderBy.Select((k, i) => (k, i)))
            {
                sql.Append(OrderTerm(sortKeys[index], key.Descending)).Append(", ");
            }

            sql.Append(rowId);
        }

        sql.Append(" LIMIT ").Append(Parameter((long)plan.Take));
        if (plan.Skip > 0)
        {
            sql.Append(" OFFSET ").Append(Parameter(plan.Skip));
        }

        return new SqlStatement(sql.ToString(), _parameters, outputs, sortKeyTypes);
    }

    SqlStatement Count(QueryPlan plan)
    {
        var table = SqlDialect.Quote(plan.Dataset.TableName);
        var where = Where(plan);
        var sql = new StringBuilder();
        if (plan.Grouping is { } grouping && grouping.Keys.Count > 0)
        {
            foreach (var aggregate in grouping.Aggregates)
            {
                var argument = aggregate.Argument is null ? null : Value(aggregate.Argument);
                _outputs[aggregate.Name] = _dialect.Aggregate(aggregate.Function, argument, aggregate.Argument?.Type);
            }

            var keys = grouping.Keys.Select(k => _outputs[k.Name] = Value(k.Expression)).ToList();
            sql.Append("SELECT COUNT(*) FROM (SELECT 1 AS one FROM ").Append(table);
            AppendWhere(sql, where);
            sql.Append(" GROUP BY ").Append(string.Join(", ", keys));
            if (plan.GroupFilter is not null)
            {
                sql.Append(" HAVING ").Append(Predicate(plan.GroupFilter));
            }

            sql.Append(") AS groups");
        }
        else if (plan.Grouping is not null)
        {
            // Aggregates without keys make exactly one group, even over no rows.
            sql.Append("SELECT 1");
        }
        else
        {
            sql.Append("SELECT COUNT(*) FROM ").Append(table);
            AppendWhere(sql, where);
        }

        return new SqlStatement(sql.ToString(), _parameters, [new OutputColumn("count", ColumnType.Integer)], []);
    }

    static void AppendWhere(StringBuilder sql, string? where)
    {
        if (where is not null)
        {
            sql.Append(" WHERE ").Append(where);
        }
    }

    string? Where(QueryPlan plan)
    {
        var parts = new List<string>();
        if (plan.Filter is not null)
        {
            parts.Add(Predicate(plan.Filter));
        }

        if (plan.Search is not null)
        {
            parts.Add(SearchPredicate(plan.Search, plan.Dataset));
        }

        return parts.Count == 0 ? null : string.Join(" AND ", parts);
    }

    // Nulls sort first ascending and last descending on both databases (SQLite's default, spelled out for PostgreSQL).
    static string OrderTerm(string value, bool descending) => descending ? $"{value} DESC NULLS LAST" : $"{value} ASC NULLS FIRST";

    /// <summary>
    /// Rows strictly after <paramref name="after"/> in the sort order: for keys k1..kn and the row id, the
    /// disjunction over i of (k1..k(i-1) equal, and ki after its value), spelled out so that nulls order as in
    /// <see cref="OrderTerm"/> and a leading key stays usable by an index.
    /// </summary>
    string Keyset(IReadOnlyList<OrderKey> order, IReadOnlyList<string> keys, KeysetPosition after, string rowId)
    {
        var disjuncts = new List<string>();
        var equalities = new List<string>();
        for (var i = 0; i < order.Count; i++)
        {
            var value = after.Values[i];
            var key = keys[i];
            string? beyond = (order[i].Descending, value) switch
            {
                (false, null) => $"{key} IS NOT NULL",
                (false, _) => $"{key} > {Parameter(value!)}",
                (true, null) => null,
                (true, _) => $"({key} < {Parameter(value!)} OR {key} IS NULL)",
            };
            if (beyond is not null)
            {
                disjuncts.Add(Conjunction([.. equalities, beyond]));
            }

            equalities.Add(value is null ? $"{key} IS NULL" : $"{key} = {Parameter(value)}");
        }

        disjuncts.Add(Conjunction([.. equalities, $"{rowId} > {Parameter(after.RowId)}"]));
        return "(" + string.Join(" OR ", disjuncts) + ")";
    }

    static string Conjunction(IReadOnlyList<string> parts) => parts.Count == 1 ? parts[0] : "(" + string.Join(" AND ", parts) + ")";

    /// <summary>
    /// The search as a condition. Chains of and/or are written as balanced groups (<see cref="LogicalChain"/>), so
    /// neither this method's recursion nor the SQL nests deeper than the plan's checked depth.
    /// </summary>
    string SearchPredicate(QueryExpression search, QueryableDataset dataset) => search switch
    {
        SearchTermExpression term => SearchTerm(term.Term, dataset),
        BinaryExpression { Operator: BinaryOperator.And or BinaryOperator.Or } logical => LogicalChain.Join(
            LogicalChain.Operands(logical).Select(o => SearchPredicate(o, dataset)).ToList(),
            logical.Operator == BinaryOperator.And ? "AND" : "OR"),
        NotExpression not => $"(NOT {SearchPredicate(not.Operand, dataset)})",
        ConstantExpression { Value: bool b } => b ? "1=1" : "1=0",
        _ => throw new QueryException("$search", "The search expression is not supported."),
    };

    string SearchTerm(string term, QueryableDataset dataset)
    {
        var columns = dataset.Columns.Where(c => c.Type == ColumnType.String).ToList();
        if (columns.Count == 0)
        {
            return "1=0";
        }

        var needle = Parameter(TextFolding.Fold(term));
        return "(" + string.Join(" OR ", columns.Select(c =>
            _dialect.ContainsText(_dialect.Fold(SqlDialect.Quote(c.SqlIdentifier)), needle))) + ")";
    }

    /// <summary>A predicate that is true exactly when the expression is true (never NULL).</summary>
    string Predicate(QueryExpression expression) => Truth(expression, true);

    /// <summary>
    /// A two-valued condition that holds when <paramref name="expression"/> evaluates to <paramref name="wanted"/>.
    /// OData's logic is three-valued for boolean functions and boolean columns (<c>contains(null,'a')</c> is null,
    /// and so is its negation), while comparisons are two-valued; asking separately "is it true" and "is it false"
    /// keeps both exact without ever putting a NOT over a NULL.
    /// </summary>
    string Truth(QueryExpression expression, bool wanted)
    {
        switch (expression)
        {
            case BinaryExpression { Operator: BinaryOperator.And or BinaryOperator.Or } logical:
                var conjunction = logical.Operator == BinaryOperator.And == wanted;
                return LogicalChain.Join(LogicalChain.Operands(logical).Select(o => Truth(o, wanted)).ToList(), conjunction ? "AND" : "OR");
            case NotExpression not:
                return Truth(not.Operand, !wanted);
            case BinaryExpression { IsArithmetic: false } comparison:
                return wanted ? Comparison(comparison) : $"(NOT {Comparison(comparison)})";
            case InExpression @in:
                return wanted ? In(@in) : $"(NOT {In(@in)})";
            case ConstantExpression { Value: bool b }:
                return b == wanted ? "1=1" : "1=0";
            case ConstantExpression { Value: null }:
                return "1=0";
            case FunctionExpression { Type: ColumnType.Boolean } function:
                var call = Value(function);
                return NotNull(wanted ? call : $"(NOT {call})", function.Arguments);
            case SearchTermExpression:
                throw new QueryException("$filter", "Search terms belong in $search.");
            default:
                if (expression.Type != ColumnType.Boolean)
                {
                    throw new QueryException("$filter", "The filter must be a boolean expression.");
                }

                // A boolean column or computed boolean used as a condition.
                return NotNull($"{Value(expression)} = {Parameter(wanted)}", [expression]);
        }
    }

    string Comparison(BinaryExpression comparison)
    {
        var (left, right) = (comparison.Left, comparison.Right);
        var leftNull = left is ConstantExpression { Value: null };
        var rightNull = right is ConstantExpression { Value: null };
        if (comparison.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual)
        {
            string equal;
            if (leftNull && rightNull)
            {
                equal = "1=1";
            }
            else if (leftNull || rightNull)
            {
                equal = $"{Value(leftNull ? right : left)} IS NULL";
            }
            else
            {
                var (l, r) = (Value(left), Value(right));
                equal = NotNull($"{l} = {r}", [left, right]);
                if (MayBeNull(left) && MayBeNull(right))
                {
                    equal = $"({equal} OR ({l} IS NULL AND {r} IS NULL))";
                }
            }

            return comparison.Operator == BinaryOperator.Equal ? equal : $"(NOT {equal})";
        }

        if (leftNull || rightNull)
        {
            return "1=0";
        }

        var op = comparison.Operator switch
        {
            BinaryOperator.GreaterThan => ">",
            BinaryOperator.GreaterThanOrEqual => ">=",
            BinaryOperator.LessThan => "<",
            _ => "<=",
        };
        return NotNull($"{Value(left)} {op} {Value(right)}", [left, right]);
    }

    string In(InExpression @in)
    {
        var operand = Value(@in.Operand);
        var values = @in.Values.Where(v => v.Value is not null).Select(v => Value(v)).ToList();
        var parts = new List<string>();
        if (values.Count > 0)
        {
            parts.Add(NotNull($"{operand} IN ({string.Join(", ", values)})", [@in.Operand]));
        }

        if (@in.Values.Any(v => v.Value is null))
        {
            parts.Add($"{operand} IS NULL");
        }

        return parts.Count switch
        {
            0 => "1=0",
            1 => parts[0],
            _ => "(" + string.Join(" OR ", parts) + ")",
        };
    }

    /// <summary>Makes <paramref name="condition"/> false, not NULL, when any operand that may be null is null.</summary>
    string NotNull(string condition, IEnumerable<QueryExpression> operands)
    {
        var checks = operands.Where(MayBeNull).Select(o => $"{Value(o)} IS NOT NULL").ToList();
        return checks.Count == 0 ? condition : $"({condition} AND {string.Join(" AND ", checks)})";
    }

    static bool MayBeNull(QueryExpression expression) => expression switch
    {
        ColumnExpression column => column.Column.Nullable,
        ConstantExpression constant => constant.Value is null,
        OutputExpression => true,
        // Division by zero yields NULL on SQLite.
        BinaryExpression { Operator: BinaryOperator.Divide or BinaryOperator.Modulo } => true,
        BinaryExpression { IsArithmetic: true } arithmetic => MayBeNull(arithmetic.Left) || MayBeNull(arithmetic.Right),
        BinaryExpression or NotExpression or InExpression or SearchTermExpression => false,
        NegateExpression negate => MayBeNull(negate.Operand),
        FunctionExpression function => function.Arguments.Any(MayBeNull),
        _ => true,
    };

    /// <summary>An expression in value position.</summary>
    string Value(QueryExpression expression)
    {
        switch (expression)
        {
            case ColumnExpression column:
                return SqlDialect.Quote(column.Column.SqlIdentifier);
            case OutputExpression output:
                return _outputs.TryGetValue(output.Name, out var sql)
                    ? sql
                    : throw new QueryException("$orderby", $"'{output.Name}' is not an output of the aggregation.");
            case ConstantExpression { Value: null }:
                return "NULL";
            case ConstantExpression constant:
                return Parameter(constant.Value!);
            case BinaryExpression { IsArithmetic: true } arithmetic:
                var (l, r) = (Value(arithmetic.Left), Value(arithmetic.Right));
                return arithmetic.Operator switch
                {
                    BinaryOperator.Add => $"({l} + {r})",
                    BinaryOperator.Subtract => $"({l} - {r})",
                    BinaryOperator.Multiply => $"({l} * {r})",
                    BinaryOperator.Divide => $"({l} / {r})",
                    _ => _dialect.Modulo(l, r, arithmetic.Type == ColumnType.Decimal),
                };
            case NegateExpression negate:
                return $"(-{Value(negate.Operand)})";
            case FunctionExpression function:
                return _dialect.Function(function.Function, function.Arguments.Select(Value).ToList());
            default:
                // Conditions in value position (a computed boolean) are the two-valued predicate itself.
                return $"({Predicate(expression)})";
        }
    }

    string Parameter(object value)
    {
        var name = "p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add(new(name, _dialect.ToParameterValue(value)));
        return "@" + name;
    }
}
