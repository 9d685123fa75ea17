using DataPlatform.Catalog.Query;
using Microsoft.OData;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;
using Microsoft.OData.UriParser.Aggregation;
using QueryBinaryOperator = DataPlatform.Catalog.Query.BinaryOperator;

namespace DataPlatform.Catalog.OData;

/// <summary>An OData request turned into the query core's terms.</summary>
/// <param name="Plan">The plan, with <see cref="QueryPlan.Take"/> not yet set to the page size.</param>
/// <param name="Count">True when <c>$count=true</c> asks for the total.</param>
/// <param name="Top">The client's <c>$top</c>, or <c>null</c>.</param>
/// <param name="SkipToken">The <c>$skiptoken</c> of a next page, or <c>null</c>.</param>
sealed record ODataQuery(QueryPlan Plan, bool Count, long? Top, string? SkipToken);

/// <summary>
/// Parses OData system query options with Microsoft.OData.Core's <see cref="ODataQueryOptionParser"/> over the
/// dataset's runtime model, and converts the resulting trees into a <see cref="QueryPlan"/>. The library checks
/// names and types (an unknown column or <c>name eq 5</c> fails with its own message, which names the culprit);
/// this class maps the supported node kinds and refuses the rest with a 400 that names the option.
/// </summary>
static class ODataQueryBuilder
{
    static readonly HashSet<string> _known = new(StringComparer.Ordinal)
    {
        "$filter", "$select", "$orderby", "$top", "$skip", "$count", "$search", "$apply", "$skiptoken", "$format", "$expand", "$compute", "$index",
    };

    /// <summary>Builds the query from the raw query options (names as sent, values unescaped).</summary>
    public static ODataQuery Build(ODataModel model, IEnumerable<KeyValuePair<string, string>> queryOptions)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (rawName, value) in queryOptions)
        {
            // OData 4.01 lets clients leave out the $ of system query options.
            var name = rawName.StartsWith('$') ? rawName : "$" + rawName;
            if (!_known.Contains(name))
            {
                if (rawName.StartsWith('$'))
                {
                    throw new QueryException(rawName, $"'{rawName}' is not a system query option this service supports.");
                }

                continue;
            }

            if (!options.TryAdd(name, value))
            {
                throw new QueryException(name, $"{name} appears more than once.");
            }
        }

        foreach (var unsupported in new[] { "$expand", "$compute", "$index" })
        {
            if (options.ContainsKey(unsupported))
            {
                throw new QueryException(unsupported, $"{unsupported} is not supported: datasets are flat tables. Use $apply=compute(…) for computed values.");
            }
        }

        options.Remove("$format");
        if (options.TryGetValue("$search", out var searchText))
        {
            options["$search"] = QuoteSearchWords(searchText);
        }

        var skipToken = options.Remove("$skiptoken", out var token) ? token : null;

        var parser = new ODataQueryOptionParser(model.Model, model.EntityType, model.EntitySet, options)
        {
            Resolver = new ODataUriResolver { EnableCaseInsensitive = false },
        };

        var dataset = model.Dataset;
        var plan = new QueryPlan(dataset);
        var converter = new NodeConverter(dataset);

        var apply = Parse("$apply", parser.ParseApply);
        if (apply is not null)
        {
            plan = ApplyTransformations(plan, apply, converter);
        }

        var filter = Parse("$filter", parser.ParseFilter);
        if (filter is not null)
        {
            var predicate = converter.Convert(filter.Expression, "$filter");
            plan = plan.IsGrouped
                ? plan with { GroupFilter = And(plan.GroupFilter, predicate) }
                : plan with { Filter = And(plan.Filter, predicate) };
        }

        var search = Parse("$search", parser.ParseSearch);
        if (search is not null)
        {
            if (plan.IsGrouped)
            {
                throw new QueryException("$search", "$search cannot be combined with an aggregation in $apply; filter the rows inside $apply with filter(…) instead.");
            }

            plan = plan with { Search = converter.ConvertSearch(search.Expression) };
        }

        var select = Parse("$select", parser.ParseSelectAndExpand);
        if (!plan.IsGrouped)
        {
            plan = plan with { Select = Projections(select, dataset, converter) };
        }
        else if (select is not null && !select.AllSelected)
        {
            throw new QueryException("$select", "$select cannot be combined with $apply aggregation; the aggregation chooses the output columns.");
        }

        var orderBy = Parse("$orderby", parser.ParseOrderBy);
        if (orderBy is not null)
        {
            var keys = new List<OrderKey>();
            for (var clause = orderBy; clause is not null; clause = clause.ThenBy)
            {
                var key = converter.Convert(clause.Expression, "$orderby");
                if (!ReferencesData(key))
                {
                    throw new QueryException("$orderby", "Each $orderby key must use a column; a constant does not order anything.");
                }

                keys.Add(new OrderKey(key, clause.Direction == OrderByDirection.Descending));
            }

            if (keys.Count > 32)
            {
                throw new QueryException("$orderby", "$orderby has more than 32 keys.");
            }

            plan = plan with { OrderBy = keys };
        }

        var top = Parse("$top", parser.ParseTop);
        var skip = Parse("$skip", parser.ParseSkip);
        if (top < 0)
        {
            throw new QueryException("$top", "$top must not be negative.");
        }

        if (skip < 0)
        {
            throw new QueryException("$skip", "$skip must not be negative.");
        }

        plan = plan with { Skip = skip ?? 0 };
        var count = Parse("$count", parser.ParseCount) ?? false;
        return new ODataQuery(plan, count, top, skipToken);
    }

    /// <summary>
    /// Quotes the bare words of a <c>$search</c> that hold more than letters (<c>2024</c>, <c>P001</c>, <c>Quận-1</c>), so
    /// that Microsoft.OData.Core's search parser reads them as phrases. Its lexer follows OData 4.0, whose search words
    /// are letters only, and refuses the rest with a syntax error; OData 4.01, which this service speaks, allows digits
    /// and most other URL characters in a word. A phrase matches exactly as the word would. Everything else (phrases,
    /// parentheses, AND, OR, NOT, words of letters) is passed on unchanged for the library to parse.
    /// </summary>
    static string QuoteSearchWords(string search)
    {
        var result = new System.Text.StringBuilder(search.Length + 8);
        var word = new System.Text.StringBuilder();
        var inPhrase = false;
        for (var i = 0; i < search.Length; i++)
        {
            var c = search[i];
            if (inPhrase)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < search.Length)
                {
                    result.Append(search[++i]);
                }
                else if (c == '"')
                {
                    inPhrase = false;
                }
            }
            else if (c is '"' or '(' or ')' || char.IsWhiteSpace(c))
            {
                FlushWord();
                result.Append(c);
                inPhrase = c == '"';
            }
            else
            {
                word.Append(c);
            }
        }

        FlushWord();
        return result.ToString();

        void FlushWord()
        {
            var text = word.ToString();
            word.Clear();
            var letters = text.All(c => char.IsLetter(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.LetterNumber);
            result.Append(letters || text is "AND" or "OR" or "NOT"
                ? text
                : "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal) + "\"");
        }
    }

    /// <summary>A literal parsed by Microsoft.OData.Core (a key value, a constant) as a plan constant.</summary>
    public static QueryExpression Literal(object? value, string option) => NodeConverter.Constant(value, option);

    static T Parse<T>(string option, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (ODataException e) when (e.Message.Contains("recursion", StringComparison.OrdinalIgnoreCase))
        {
            // Microsoft.OData.Core stops parsing at its own recursion limit (800 levels); the query core's limits are
            // far below it, so this is the same refusal the core gives a smaller expression, in the same words.
            throw option == "$search"
                ? new QueryLimitException(QueryLimit.SearchTerms, "The search holds more words or phrases than the service accepts.", "search")
                : new QueryLimitException(QueryLimit.FilterDepth, $"{option} nests deeper than the service accepts.", "filter");
        }
        catch (ODataException e)
        {
            throw new QueryException(option, $"{option}: {e.Message}", e);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or InvalidOperationException or NotSupportedException or NotImplementedException)
        {
            throw new QueryException(option, $"{option} is not valid: {e.Message}", e);
        }
    }

    /// <summary>True when the expression reads a column or an aggregation output, rather than only literals.</summary>
    static bool ReferencesData(QueryExpression expression) => expression switch
    {
        ColumnExpression or OutputExpression => true,
        BinaryExpression binary => ReferencesData(binary.Left) || ReferencesData(binary.Right),
        NotExpression not => ReferencesData(not.Operand),
        NegateExpression negate => ReferencesData(negate.Operand),
        InExpression @in => ReferencesData(@in.Operand),
        FunctionExpression function => function.Arguments.Any(ReferencesData),
        _ => false,
    };

    static QueryExpression And(QueryExpression? left, QueryExpression right) =>
        left is null ? right : new BinaryExpression(QueryBinaryOperator.And, left, right);

    static IReadOnlyList<Projection> Projections(SelectExpandClause? select, QueryableDataset dataset, NodeConverter converter)
    {
        var computed = converter.Computed.Select(c => new Projection(c.Key, c.Value)).ToList();
        if (select is null || select.AllSelected)
        {
            return [.. dataset.Columns.Select(c => new Projection(c.Name, new ColumnExpression(c))), .. computed];
        }

        var projections = new List<Projection>();
        foreach (var item in select.SelectedItems)
        {
            switch (item)
            {
                case PathSelectItem { SelectedPath.FirstSegment: PropertySegment property }:
                    var column = dataset.Column(property.Property.Name)!;
                    if (projections.All(p => p.Name != column.Name))
                    {
                        projections.Add(new Projection(column.Name, new ColumnExpression(column)));
                    }

                    break;
                case PathSelectItem { SelectedPath.FirstSegment: DynamicPathSegment dynamic } when converter.Computed.ContainsKey(dynamic.Identifier):
                    projections.Add(new Projection(dynamic.Identifier, converter.Computed[dynamic.Identifier]));
                    break;
                case WildcardSelectItem:
                    return [.. dataset.Columns.Select(c => new Projection(c.Name, new ColumnExpression(c))), .. computed];
                default:
                    throw new QueryException("$select", "$select may name only columns of the dataset.");
            }
        }

        return projections;
    }

    static QueryPlan ApplyTransformations(QueryPlan plan, ApplyClause apply, NodeConverter converter)
    {
        foreach (var transformation in apply.Transformations)
        {
            switch (transformation)
            {
                case FilterTransformationNode filter:
                    var predicate = converter.Convert(filter.FilterClause.Expression, "$apply");
                    plan = plan.IsGrouped
                        ? plan with { GroupFilter = And(plan.GroupFilter, predicate) }
                        : plan with { Filter = And(plan.Filter, predicate) };
                    break;
                case ComputeTransformationNode compute when !plan.IsGrouped:
                    foreach (var expression in compute.Expressions)
                    {
                        converter.AddComputed(expression.Alias, converter.Convert(expression.Expression, "$apply"));
                    }

                    break;
                case GroupByTransformationNode groupBy when !plan.IsGrouped:
                    var keys = new List<Projection>();
                    foreach (var property in groupBy.GroupingProperties)
                    {
                        if (property.Expression is null || property.ChildTransformations.Count > 0)
                        {
                            throw new QueryException("$apply", $"groupby over '{property.Name}': only columns and computed values can be grouping keys.");
                        }

                        var key = converter.Convert(property.Expression, "$apply");
                        if (!ReferencesData(key))
                        {
                            throw new QueryException("$apply", $"The grouping key '{property.Name}' must use a column; a constant does not group anything.");
                        }

                        keys.Add(new Projection(property.Name, key));
                    }

                    var aggregates = groupBy.ChildTransformations switch
                    {
                        null => [],
                        AggregateTransformationNode aggregate => Aggregates(aggregate, converter),
                        _ => throw new QueryException("$apply", "groupby accepts only aggregate(…) as its second argument."),
                    };
                    plan = Grouped(plan, keys, aggregates, converter);
                    break;
                case AggregateTransformationNode aggregate when !plan.IsGrouped:
                    plan = Grouped(plan, [], Aggregates(aggregate, converter), converter);
                    break;
                default:
                    throw new QueryException("$apply",
                        $"The transformation '{transformation.Kind}' is not supported here. Supported: filter, compute, then one groupby or aggregate, then filter.");
            }
        }

        return plan;
    }

    static QueryPlan Grouped(QueryPlan plan, IReadOnlyList<Projection> keys, IReadOnlyList<Aggregate> aggregates, NodeConverter converter)
    {
        var names = keys.Select(k => k.Name).Concat(aggregates.Select(a => a.Name)).ToList();
        var duplicate = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new QueryException("$apply", $"The output name '{duplicate.Key}' is used twice.");
        }

        converter.Group(keys, aggregates);
        return plan with { Grouping = new Grouping(keys, aggregates) };
    }

    static List<Aggregate> Aggregates(AggregateTransformationNode node, NodeConverter converter)
    {
        var aggregates = new List<Aggregate>();
        foreach (var expressionBase in node.AggregateExpressions)
        {
            if (expressionBase is not AggregateExpression expression)
            {
                throw new QueryException("$apply", "Only aggregates of columns or $count are supported.");
            }

            if (expression.Method == AggregationMethod.VirtualPropertyCount)
            {
                aggregates.Add(new Aggregate(expression.Alias, AggregateFunction.Count, null));
                continue;
            }

            var argument = converter.Convert(expression.Expression, "$apply");
            var function = expression.Method switch
            {
                AggregationMethod.Sum => AggregateFunction.Sum,
                AggregationMethod.Average => AggregateFunction.Average,
                AggregationMethod.Min => AggregateFunction.Min,
                AggregationMethod.Max => AggregateFunction.Max,
                AggregationMethod.CountDistinct => AggregateFunction.CountDistinct,
                _ => throw new QueryException("$apply", $"The aggregation method '{expression.MethodDefinition?.MethodLabel ?? expression.Method.ToString()}' is not supported."),
            };
            if (function is AggregateFunction.Sum or AggregateFunction.Average && argument.Type is not (ColumnType.Integer or ColumnType.Decimal))
            {
                throw new QueryException("$apply", $"{expression.Method} needs a number, and '{expression.Alias}' aggregates a {argument.Type}.");
            }

            aggregates.Add(new Aggregate(expression.Alias, function, argument));
        }

        return aggregates;
    }

    /// <summary>Converts OData's semantic nodes into plan expressions.</summary>
    sealed class NodeConverter(QueryableDataset dataset)
    {
        readonly Dictionary<string, QueryExpression> _computed = new(StringComparer.Ordinal);
        Dictionary<string, ColumnType>? _outputs;

        /// <summary>Values computed by <c>$apply=compute(…)</c>, by alias.</summary>
        public IReadOnlyDictionary<string, QueryExpression> Computed => _computed;

        public void AddComputed(string alias, QueryExpression expression)
        {
            if (dataset.Column(alias) is not null || !_computed.TryAdd(alias, expression))
            {
                throw new QueryException("$apply", $"The computed name '{alias}' is already taken.");
            }
        }

        /// <summary>After grouping, names refer to the group's outputs rather than to columns.</summary>
        public void Group(IReadOnlyList<Projection> keys, IReadOnlyList<Aggregate> aggregates)
        {
            _outputs = new Dictionary<string, ColumnType>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                _outputs[key.Name] = key.Expression.Type ?? ColumnType.String;
            }

            foreach (var aggregate in aggregates)
            {
                _outputs[aggregate.Name] = aggregate.Type;
            }
        }

        public QueryExpression ConvertSearch(QueryNode node) => node switch
        {
            SearchTermNode term => new SearchTermExpression(term.Text),
            Microsoft.OData.UriParser.BinaryOperatorNode { OperatorKind: BinaryOperatorKind.And } and =>
                new BinaryExpression(QueryBinaryOperator.And, ConvertSearch(and.Left), ConvertSearch(and.Right)),
            Microsoft.OData.UriParser.BinaryOperatorNode { OperatorKind: BinaryOperatorKind.Or } or =>
                new BinaryExpression(QueryBinaryOperator.Or, ConvertSearch(or.Left), ConvertSearch(or.Right)),
            UnaryOperatorNode { OperatorKind: UnaryOperatorKind.Not } not => new NotExpression(ConvertSearch(not.Operand)),
            _ => throw new QueryException("$search", "The search expression is not supported."),
        };

        public QueryExpression Convert(QueryNode node, string option)
        {
            switch (node)
            {
                case ConvertNode convert:
                    return Convert(convert.Source, option);
                case SingleValuePropertyAccessNode property:
                    return Name(property.Property.Name, option);
                case SingleValueOpenPropertyAccessNode open:
                    return Name(open.Name, option);
                case ConstantNode constant:
                    return Constant(constant.Value, option);
                case Microsoft.OData.UriParser.BinaryOperatorNode binary:
                    return new BinaryExpression(binary.OperatorKind switch
                    {
                        BinaryOperatorKind.Equal => QueryBinaryOperator.Equal,
                        BinaryOperatorKind.NotEqual => QueryBinaryOperator.NotEqual,
                        BinaryOperatorKind.GreaterThan => QueryBinaryOperator.GreaterThan,
                        BinaryOperatorKind.GreaterThanOrEqual => QueryBinaryOperator.GreaterThanOrEqual,
                        BinaryOperatorKind.LessThan => QueryBinaryOperator.LessThan,
                        BinaryOperatorKind.LessThanOrEqual => QueryBinaryOperator.LessThanOrEqual,
                        BinaryOperatorKind.And => QueryBinaryOperator.And,
                        BinaryOperatorKind.Or => QueryBinaryOperator.Or,
                        BinaryOperatorKind.Add => QueryBinaryOperator.Add,
                        BinaryOperatorKind.Subtract => QueryBinaryOperator.Subtract,
                        BinaryOperatorKind.Multiply => QueryBinaryOperator.Multiply,
                        BinaryOperatorKind.Divide => QueryBinaryOperator.Divide,
                        BinaryOperatorKind.Modulo => QueryBinaryOperator.Modulo,
                        _ => throw new QueryException(option, $"The operator '{binary.OperatorKind}' is not supported."),
                    }, Convert(binary.Left, option), Convert(binary.Right, option));
                case UnaryOperatorNode unary:
                    var operand = Convert(unary.Operand, option);
                    return unary.OperatorKind == UnaryOperatorKind.Not ? new NotExpression(operand) : new NegateExpression(operand);
                case InNode @in:
                    var values = @in.Right switch
                    {
                        CollectionConstantNode list => list.Collection.Select(c => (ConstantExpression)Constant(c.Value, option)).ToList(),
                        _ => throw new QueryException(option, "'in' needs a list of literals, such as (1,2,3) or ('a','b')."),
                    };
                    return new InExpression(Convert(@in.Left, option), values);
                case SingleValueFunctionCallNode call:
                    var function = call.Name switch
                    {
                        "contains" => QueryFunction.Contains,
                        "startswith" => QueryFunction.StartsWith,
                        "endswith" => QueryFunction.EndsWith,
                        "tolower" => QueryFunction.ToLower,
                        "toupper" => QueryFunction.ToUpper,
                        "trim" => QueryFunction.Trim,
                        "length" => QueryFunction.Length,
                        "indexof" => QueryFunction.IndexOf,
                        "substring" => QueryFunction.Substring,
                        "concat" => QueryFunction.Concat,
                        "year" => QueryFunction.Year,
                        "month" => QueryFunction.Month,
                        "day" => QueryFunction.Day,
                        "date" => QueryFunction.Date,
                        _ => throw new QueryException(option, $"The function '{call.Name}' is not supported. Supported: contains, startswith, endswith, tolower, toupper, trim, length, indexof, substring, concat, year, month, day, date."),
                    };
                    var arguments = call.Parameters.Select(p => Convert(p, option)).ToList();
                    var (min, max) = FunctionExpression.Arity(function);
                    if (arguments.Count < min || arguments.Count > max)
                    {
                        throw new QueryException(option, $"{call.Name} takes {(min == max ? min.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{min} or {max}")} arguments.");
                    }

                    return new FunctionExpression(function, arguments);
                case CountVirtualPropertyNode:
                    throw new QueryException(option, "$count is only valid inside aggregate(…).");
                default:
                    throw new QueryException(option, $"The expression '{node.Kind}' is not supported.");
            }
        }

        QueryExpression Name(string name, string option)
        {
            if (_outputs is not null)
            {
                return _outputs.TryGetValue(name, out var type)
                    ? new OutputExpression(name, type)
                    : throw new QueryException(option, $"After the aggregation only its outputs can be used, and '{name}' is not one of them ({string.Join(", ", _outputs.Keys)}).");
            }

            if (_computed.TryGetValue(name, out var computed))
            {
                return computed;
            }

            var column = dataset.Column(name) ?? throw new QueryException(option, $"The dataset has no column '{name}'.");
            if (!column.Filterable && option is "$filter" or "$orderby" or "$apply")
            {
                throw new QueryException(option, $"The column '{name}' cannot be used in {option}.");
            }

            return new ColumnExpression(column);
        }

        public static QueryExpression Constant(object? value, string option)
        {
            try
            {
                return value switch
                {
                    null => ConstantExpression.Null,
                    string s => new ConstantExpression(s, ColumnType.String),
                    int or long or short or byte or sbyte => new ConstantExpression(System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), ColumnType.Integer),
                    decimal m => new ConstantExpression(m, ColumnType.Decimal),
                    double or float => new ConstantExpression(System.Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture), ColumnType.Decimal),
                    bool b => new ConstantExpression(b, ColumnType.Boolean),
                    Date d => new ConstantExpression(new DateOnly(d.Year, d.Month, d.Day), ColumnType.Date),
                    DateOnly d => new ConstantExpression(d, ColumnType.Date),
                    DateTimeOffset dto => new ConstantExpression(DateTime.SpecifyKind(dto.UtcDateTime, DateTimeKind.Unspecified), ColumnType.DateTime),
                    ODataEnumValue or ODataResourceValue or ODataCollectionValue => throw new QueryException(option, "Only literals of the dataset's column types are supported."),
                    _ => throw new QueryException(option, $"Literals of type {value.GetType().Name} are not supported; use strings, numbers, booleans, dates and date-times."),
                };
            }
            catch (OverflowException e)
            {
                throw new QueryException(option, "A number in the query is out of range.", e);
            }
        }
    }
}
