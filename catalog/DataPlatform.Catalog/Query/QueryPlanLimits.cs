using System.Globalization;

namespace DataPlatform.Catalog.Query;

/// <summary>
/// The one check of a plan's size against <see cref="QueryOptions"/>: page size, search terms, filter nodes and
/// nesting. The executor runs it on every plan before translating it, so every front door (OData, GraphQL,
/// <c>/rows</c>, downloads) gets the same limits and the same refusals, and no input reaches the translator's
/// recursion deeper than <see cref="QueryOptions.MaxFilterDepth"/>.
/// </summary>
/// <remarks>
/// The walk keeps its own stack instead of recursing, because the trees it checks are the input's: a search of
/// 60,000 words arrives as a chain 60,000 nodes deep, and a stack overflow cannot be caught; it ends the process.
/// </remarks>
static class QueryPlanLimits
{
    /// <param name="plan">The plan to check.</param>
    /// <param name="options">The limits.</param>
    /// <param name="pageLimit">False for a count or an export, which return no page of rows.</param>
    public static void Validate(QueryPlan plan, QueryOptions options, bool pageLimit = true)
    {
        if (pageLimit && plan.Take < 0)
        {
            throw new QueryLimitException(QueryLimit.PageSize, "The number of rows asked for cannot be negative.", "page");
        }

        if (pageLimit && !plan.IsGrouped && Math.Max(plan.Take, plan.RequestedRows ?? 0) > options.MaxPageSize)
        {
            throw new QueryLimitException(QueryLimit.PageSize,
                $"One request returns at most {options.MaxPageSize.ToString(CultureInfo.InvariantCulture)} rows. Ask for fewer and follow the next link (or cursor) for the rest.",
                "page");
        }

        var (nodes, terms, depth) = Measure(plan);
        if (terms > options.MaxSearchTerms)
        {
            throw new QueryLimitException(QueryLimit.SearchTerms,
                $"A search may hold at most {options.MaxSearchTerms.ToString(CultureInfo.InvariantCulture)} words or phrases; this one has {terms.ToString(CultureInfo.InvariantCulture)}.",
                "search");
        }

        if (nodes > options.MaxFilterNodes)
        {
            throw new QueryLimitException(QueryLimit.FilterSize,
                $"The query's expressions may hold at most {options.MaxFilterNodes.ToString(CultureInfo.InvariantCulture)} terms (comparisons, operators, values); this one has {nodes.ToString(CultureInfo.InvariantCulture)}. Use 'in' for a list of values.",
                "filter");
        }

        if (depth > options.MaxFilterDepth)
        {
            throw new QueryLimitException(QueryLimit.FilterDepth,
                $"The query's expressions may nest at most {options.MaxFilterDepth.ToString(CultureInfo.InvariantCulture)} levels deep.",
                "filter");
        }
    }

    /// <summary>
    /// The nodes, search terms and nesting depth of every expression of the plan (filter, search, filter on groups,
    /// projections, sort keys, group keys and aggregate arguments), in one walk with one stack. A chain of one logical
    /// operator counts as one level, as the translator writes it as one balanced group (<see cref="LogicalChain"/>).
    /// </summary>
    static (int Nodes, int Terms, int Depth) Measure(QueryPlan plan)
    {
        var pending = new Stack<(QueryExpression Expression, int Depth, BinaryOperator? Chain)>();
        void Root(QueryExpression? expression)
        {
            if (expression is not null)
            {
                pending.Push((expression, 1, null));
            }
        }

        Root(plan.Filter);
        Root(plan.Search);
        Root(plan.GroupFilter);
        foreach (var projection in plan.Select)
        {
            Root(projection.Expression);
        }

        foreach (var key in plan.OrderBy)
        {
            Root(key.Expression);
        }

        if (plan.Grouping is { } grouping)
        {
            foreach (var key in grouping.Keys)
            {
                Root(key.Expression);
            }

            foreach (var aggregate in grouping.Aggregates)
            {
                Root(aggregate.Argument);
            }
        }

        var (nodes, terms, depth) = (0, 0, 0);
        while (pending.Count > 0)
        {
            var (expression, level, chain) = pending.Pop();
            nodes++;
            depth = Math.Max(depth, level);
            switch (expression)
            {
                case SearchTermExpression:
                    terms++;
                    break;
                case BinaryExpression { Operator: BinaryOperator.And or BinaryOperator.Or } logical:
                    // Operands of the same operator stay on this level; a different operator nests one deeper.
                    var next = chain == logical.Operator ? level : level + 1;
                    pending.Push((logical.Left, next, logical.Operator));
                    pending.Push((logical.Right, next, logical.Operator));
                    break;
                case BinaryExpression binary:
                    pending.Push((binary.Left, level + 1, null));
                    pending.Push((binary.Right, level + 1, null));
                    break;
                case NotExpression not:
                    pending.Push((not.Operand, level + 1, null));
                    break;
                case NegateExpression negate:
                    pending.Push((negate.Operand, level + 1, null));
                    break;
                case InExpression @in:
                    nodes += @in.Values.Count;
                    pending.Push((@in.Operand, level + 1, null));
                    break;
                case FunctionExpression function:
                    foreach (var argument in function.Arguments)
                    {
                        pending.Push((argument, level + 1, null));
                    }

                    break;
            }
        }

        return (nodes, terms, depth);
    }
}

/// <summary>
/// The operands of a chain of one logical operator (<c>a or b or c</c>), in order, however the front door nested
/// them: a parser builds <c>((a or b) or c)</c>, a list argument may build either side. Collected with an explicit
/// stack, so a long chain costs no stack depth.
/// </summary>
static class LogicalChain
{
    public static List<QueryExpression> Operands(BinaryExpression root)
    {
        var operands = new List<QueryExpression>();
        var pending = new Stack<QueryExpression>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var expression = pending.Pop();
            if (expression is BinaryExpression binary && binary.Operator == root.Operator)
            {
                // Right first, so that the left operand is taken first and the order is kept.
                pending.Push(binary.Right);
                pending.Push(binary.Left);
            }
            else
            {
                operands.Add(expression);
            }
        }

        return operands;
    }

    /// <summary>
    /// Joins SQL conditions with <paramref name="op"/> as a balanced tree of parentheses. SQLite and PostgreSQL
    /// parse a flat chain of a thousand ORs into a tree a thousand levels deep, which SQLite refuses (its expression
    /// depth limit is 1,000); halves nest only as deep as the logarithm of the count.
    /// </summary>
    public static string Join(IReadOnlyList<string> parts, string op) => Join(parts, 0, parts.Count, op);

    static string Join(IReadOnlyList<string> parts, int start, int count, string op)
    {
        if (count == 1)
        {
            return parts[start];
        }

        if (count <= 8)
        {
            return "(" + string.Join($" {op} ", Enumerable.Range(start, count).Select(i => parts[i])) + ")";
        }

        var half = count / 2;
        return $"({Join(parts, start, half, op)} {op} {Join(parts, start + half, count - half, op)})";
    }
}
