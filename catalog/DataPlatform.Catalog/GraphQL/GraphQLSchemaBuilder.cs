using System.Collections.Concurrent;
using System.Text;
using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.ConsumerContext;
using GraphQL;
using GraphQL.Resolvers;
using GraphQL.Types;

namespace DataPlatform.Catalog.GraphQL;

/// <summary>
/// Generates the GraphQL schema from the datasets one caller may see: a root field per dataset returning a Relay
/// connection of typed records (with <c>where</c>, <c>orderBy</c>, <c>search</c>, <c>first</c>/<c>after</c>,
/// <c>totalCount</c> and an <c>aggregate</c> field), plus a <c>datasets</c> field over the catalog metadata.
/// Every query goes through the same <see cref="QueryPlan"/> and translator as OData.
/// </summary>
sealed class GraphQLSchemaBuilder
{
    readonly QueryExecutor _executor;
    readonly QueryOptions _options;
    readonly Dictionary<ColumnType, InputObjectGraphType> _filters = [];
    readonly EnumerationGraphType _direction = new() { Name = "SortDirection", Description = "Ascending (nulls first) or descending (nulls last)." };
    readonly ObjectGraphType _pageInfo = new() { Name = "PageInfo", Description = "Relay page information." };
    readonly HashSet<string> _names = new(StringComparer.Ordinal) { "Query", "SortDirection", "PageInfo", "Dataset", "DatasetColumn" };

    GraphQLSchemaBuilder(QueryExecutor executor, QueryOptions options)
    {
        _executor = executor;
        _options = options;
        _direction.Add("ASC", false, "Smallest first; nulls first.");
        _direction.Add("DESC", true, "Largest first; nulls last.");
        _pageInfo.AddField(new FieldType { Name = "hasNextPage", Type = typeof(NonNullGraphType<BooleanGraphType>), Resolver = Resolve<ConnectionPage>(p => p.Next is not null) });
        _pageInfo.AddField(new FieldType
        {
            Name = "endCursor",
            Type = typeof(StringGraphType),
            Resolver = Resolve<ConnectionPage>(p => p.Positions.Count == 0 ? null : KeysetToken.Encode(p.Positions[^1])),
        });
        foreach (var type in Enum.GetValues<ColumnType>())
        {
            _filters[type] = Filter(type);
            _names.Add(_filters[type].Name);
        }
    }

    /// <summary>Builds the schema over <paramref name="views"/>, datasets already narrowed to what the caller may see.</summary>
    public static ISchema Build(IReadOnlyList<QueryableDataset> views, QueryExecutor executor, QueryOptions options) =>
        new GraphQLSchemaBuilder(executor, options).Build(views);

    ISchema Build(IReadOnlyList<QueryableDataset> views)
    {
        var query = new ObjectGraphType { Name = "Query", Description = "Every published dataset you may read, and the catalog." };
        var fields = new HashSet<string>(StringComparer.Ordinal) { "datasets" };
        var fieldNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var view in views.OrderBy(v => v.Id, StringComparer.Ordinal))
        {
            var field = Unique(FieldName(view.Id), fields);
            fieldNames[view.Id] = field;
            query.AddField(DatasetField(view, field));
        }

        query.AddField(DatasetsField(views, fieldNames));
        return new Schema { Query = query };
    }

    FieldType DatasetField(QueryableDataset dataset, string fieldName)
    {
        if (dataset.Columns.Count == 0)
        {
            // Every column is hidden from this caller. GraphQL has no object type without fields (nor an enum without
            // values), so the dataset offers its row id, as OData keys such a dataset on it.
            dataset = dataset with { Columns = [QueryableColumn.RowId] };
        }

        var typeName = Unique(TypeName(dataset.Id), _names);
        var columnNames = new HashSet<string>(StringComparer.Ordinal);
        var columns = dataset.Columns.ToDictionary(c => Unique(ColumnFieldName(c.Name), columnNames), c => c, StringComparer.Ordinal);
        var filterable = columns.Where(c => c.Value.Filterable).ToList();

        var record = new ObjectGraphType { Name = typeName, Description = $"A row of “{dataset.Title}”." };
        foreach (var (name, column) in columns)
        {
            // A node is the row's values in column order (the connection selects every column), read by position.
            var index = IndexOf(dataset.Columns, column);
            record.AddField(new FieldType
            {
                Name = name,
                Type = column.Nullable ? Scalar(column.Type) : typeof(NonNullGraphType<>).MakeGenericType(Scalar(column.Type)),
                Resolver = Resolve<object?[]>(row => Output(row[index])),
            });
        }

        var columnEnum = new EnumerationGraphType { Name = Unique(typeName + "Column", _names) };
        foreach (var (name, column) in filterable)
        {
            columnEnum.Add(name, column.Name);
        }

        var where = new InputObjectGraphType { Name = Unique(typeName + "Where", _names), Description = "Conditions on the columns; all must hold. Combine with and, or, not." };
        foreach (var (name, column) in filterable)
        {
            where.AddField(new FieldType { Name = name, ResolvedType = _filters[column.Type] });
        }

        where.AddField(new FieldType { Name = "and", ResolvedType = new ListGraphType(new NonNullGraphType(where)) });
        where.AddField(new FieldType { Name = "or", ResolvedType = new ListGraphType(new NonNullGraphType(where)) });
        where.AddField(new FieldType { Name = "not", ResolvedType = where });

        var orderBy = new InputObjectGraphType { Name = Unique(typeName + "OrderBy", _names) };
        orderBy.AddField(new FieldType { Name = "field", ResolvedType = new NonNullGraphType(columnEnum) });
        orderBy.AddField(new FieldType { Name = "direction", ResolvedType = _direction, DefaultValue = false });

        var edge = new ObjectGraphType { Name = Unique(typeName + "Edge", _names) };
        edge.AddField(new FieldType { Name = "cursor", Type = typeof(NonNullGraphType<StringGraphType>), Resolver = Resolve<Edge>(e => KeysetToken.Encode(e.Position)) });
        edge.AddField(new FieldType { Name = "node", ResolvedType = new NonNullGraphType(record), Resolver = Resolve<Edge>(e => e.Node) });

        var connection = new ObjectGraphType { Name = Unique(typeName + "Connection", _names) };
        connection.AddField(new FieldType
        {
            Name = "totalCount",
            Type = typeof(NonNullGraphType<LongGraphType>),
            Description = "Rows matching where and search, ignoring paging.",
            Resolver = new FuncFieldResolver<object?>(async context => await Guard(() => ((Connection)context.Source!).CountAsync(context.CancellationToken))),
        });
        connection.AddField(new FieldType
        {
            Name = "nodes",
            ResolvedType = new NonNullGraphType(new ListGraphType(new NonNullGraphType(record))),
            Resolver = new FuncFieldResolver<object?>(async context => (await ((Connection)context.Source!).PageAsync(context.CancellationToken)).Nodes),
        });
        connection.AddField(new FieldType
        {
            Name = "edges",
            ResolvedType = new NonNullGraphType(new ListGraphType(new NonNullGraphType(edge))),
            Resolver = new FuncFieldResolver<object?>(async context => (await ((Connection)context.Source!).PageAsync(context.CancellationToken)).Edges),
        });
        connection.AddField(new FieldType
        {
            Name = "pageInfo",
            ResolvedType = new NonNullGraphType(_pageInfo),
            Resolver = new FuncFieldResolver<object?>(async context => await ((Connection)context.Source!).PageAsync(context.CancellationToken)),
        });
        connection.AddField(AggregateField(dataset, typeName, columnEnum, filterable));

        return new FieldType
        {
            Name = fieldName,
            Description = $"{dataset.Title} (dataset {dataset.Id}, version {dataset.Version}).",
            // Nullable, so that a dataset the caller may not read (or a query on it that fails) costs only its own
            // field: the other datasets a document asks for still answer.
            ResolvedType = connection,
            Arguments = new QueryArguments(
                new QueryArgument(where) { Name = "where" },
                new QueryArgument(new ListGraphType(new NonNullGraphType(orderBy))) { Name = "orderBy" },
                new QueryArgument<StringGraphType> { Name = "search", Description = "Words to find in any text column, ignoring case and diacritics." },
                new QueryArgument<IntGraphType> { Name = "first", Description = $"Rows per page (default {_options.DefaultPageSize}, at most {_options.MaxPageSize})." },
                new QueryArgument<StringGraphType> { Name = "after", Description = "The endCursor of the previous page." }),
            Resolver = new FuncFieldResolver<object?>(context => Guard(() => Connect(dataset, columns, context))),
        };
    }

    Connection Connect(QueryableDataset dataset, Dictionary<string, QueryableColumn> columns, IResolveFieldContext context)
    {
        // Without the request's consumer nobody can say who reads, so the read is refused (fail closed) rather than
        // allowed as if the check had passed.
        var user = context.UserContext as GraphQLUserContext;
        var consumer = user?.Consumer ?? DataPlatform.Contracts.ConsumerContext.ConsumerContext.Anonymous(null, DateTimeOffset.UnixEpoch);
        if (dataset.RefusalFor(consumer) is { } refusal)
        {
            // The schema is shared by callers with the same dataset entitlements, so paid and registered datasets are
            // in it for everyone (as the catalog lists them); reading their rows is what needs the key or subscription.
            throw new ExecutionError(refusal.Message) { Code = refusal.NeedsApiKey ? "AUTHENTICATION_REQUIRED" : "SUBSCRIPTION_REQUIRED" };
        }

        // The gateway meters the response under the data product it read, as it meters OData by the dataset in its path.
        user?.Read(dataset.ProductId);

        var plan = new QueryPlan(dataset)
        {
            Select = dataset.Columns.Select(c => new Projection(c.Name, new ColumnExpression(c))).ToList(),
            Filter = context.GetArgument<Dictionary<string, object?>?>("where") is { } where ? GraphQLFilters.Where(where, columns) : null,
            Search = context.GetArgument<string?>("search") is { Length: > 0 } search ? GraphQLFilters.Search(search) : null,
        };

        if (context.GetArgument<List<object?>?>("orderBy") is { } order)
        {
            plan = plan with
            {
                OrderBy = order.Cast<IDictionary<string, object?>>()
                    .Select(o => new OrderKey(new ColumnExpression(dataset.Column((string)o["field"]!)!), o.TryGetValue("direction", out var d) && d is true))
                    .ToList(),
            };
        }

        // The executor checks first against the page limit, as it checks every front door's.
        plan = plan with { Take = context.GetArgument<int?>("first") ?? _options.DefaultPageSize };
        if (context.GetArgument<string?>("after") is { } after)
        {
            plan = plan with { After = KeysetToken.Decode(after, plan.OrderBy.Select(o => o.Expression.Type!.Value).ToList(), "after") };
        }

        // Edges carry a cursor each and pageInfo the last row's; a document that selects neither (nodes, totalCount)
        // spares reading a position for every row.
        var selected = context.SubFields?.Values.Select(f => f.Field.Name.StringValue).ToHashSet(StringComparer.Ordinal);
        var positions = selected?.Overlaps(["edges", "pageInfo"]) ?? true;
        // The executor audits reads of rows and groups of restricted datasets. A document that asks only for
        // totalCount still learns something (whether a citizen id is in it), so then its count is audited on its own.
        var countOnly = selected is not null && !selected.Overlaps(["nodes", "edges", "pageInfo", "aggregate"]);
        plan = plan with { Reader = Reader(context, auditCounts: countOnly) };
        return new Connection(plan, _executor, positions);
    }

    /// <summary>Who reads, with the whole document, for the audit log of restricted datasets.</summary>
    static QueryReader Reader(IResolveFieldContext context, bool auditCounts) =>
        context.UserContext is GraphQLUserContext user
            ? new QueryReader(user.Consumer, "graphql", user.Document) { AuditCounts = auditCounts }
            : throw new InvalidOperationException("GraphQL requests carry their consumer in the user context.");

    FieldType AggregateField(QueryableDataset dataset, string typeName, EnumerationGraphType columnEnum, List<KeyValuePair<string, QueryableColumn>> filterable)
    {
        var numeric = filterable.Where(c => c.Value.Type is ColumnType.Integer or ColumnType.Decimal).ToList();
        var key = Bag(typeName + "GroupKey", filterable.Select(c => (c.Key, Scalar(c.Value.Type), "key_" + c.Value.Name)));
        var group = new ObjectGraphType { Name = Unique(typeName + "Group", _names), Description = "One group: its key and the aggregates of its rows." };
        group.AddField(new FieldType { Name = "key", ResolvedType = new NonNullGraphType(key), Resolver = Resolve<Dictionary<string, object?>>(g => g) });
        group.AddField(new FieldType { Name = "count", Type = typeof(NonNullGraphType<LongGraphType>), Resolver = Resolve<Dictionary<string, object?>>(g => g["count"]) });
        if (numeric.Count > 0)
        {
            var sums = Bag(typeName + "Sums", numeric.Select(c => (c.Key, Scalar(c.Value.Type), "sum_" + c.Value.Name)));
            var averages = Bag(typeName + "Averages", numeric.Select(c => (c.Key, typeof(DecimalGraphType), "avg_" + c.Value.Name)));
            group.AddField(new FieldType { Name = "sum", ResolvedType = new NonNullGraphType(sums), Resolver = Resolve<Dictionary<string, object?>>(g => g) });
            group.AddField(new FieldType { Name = "avg", ResolvedType = new NonNullGraphType(averages), Resolver = Resolve<Dictionary<string, object?>>(g => g) });
        }

        if (filterable.Count > 0)
        {
            var minimums = Bag(typeName + "Minimums", filterable.Select(c => (c.Key, Scalar(c.Value.Type), "min_" + c.Value.Name)));
            var maximums = Bag(typeName + "Maximums", filterable.Select(c => (c.Key, Scalar(c.Value.Type), "max_" + c.Value.Name)));
            group.AddField(new FieldType { Name = "min", ResolvedType = new NonNullGraphType(minimums), Resolver = Resolve<Dictionary<string, object?>>(g => g) });
            group.AddField(new FieldType { Name = "max", ResolvedType = new NonNullGraphType(maximums), Resolver = Resolve<Dictionary<string, object?>>(g => g) });
        }

        return new FieldType
        {
            Name = "aggregate",
            Description = "Groups the matching rows by the groupBy columns (one group when empty) and aggregates each group.",
            ResolvedType = new NonNullGraphType(new ListGraphType(new NonNullGraphType(group))),
            Arguments = new QueryArguments(new QueryArgument(new ListGraphType(new NonNullGraphType(columnEnum))) { Name = "groupBy" }),
            Resolver = new FuncFieldResolver<object?>(async context =>
            {
                var keys = (context.GetArgument<List<object?>?>("groupBy") ?? []).Cast<string>().Distinct().Select(dataset.Column).ToList();
                // Only the aggregates the document selects are computed: each one is a pass over the column.
                var selected = SelectedPaths(context);
                var aggregates = new List<Aggregate>();
                if (selected.Contains("count"))
                {
                    aggregates.Add(new("count", AggregateFunction.Count, null));
                }

                foreach (var (field, column) in numeric)
                {
                    if (selected.Contains("sum." + field))
                    {
                        aggregates.Add(new("sum_" + column.Name, AggregateFunction.Sum, new ColumnExpression(column)));
                    }

                    if (selected.Contains("avg." + field))
                    {
                        aggregates.Add(new("avg_" + column.Name, AggregateFunction.Average, new ColumnExpression(column)));
                    }
                }

                foreach (var (field, column) in filterable)
                {
                    if (selected.Contains("min." + field))
                    {
                        aggregates.Add(new("min_" + column.Name, AggregateFunction.Min, new ColumnExpression(column)));
                    }

                    if (selected.Contains("max." + field))
                    {
                        aggregates.Add(new("max_" + column.Name, AggregateFunction.Max, new ColumnExpression(column)));
                    }
                }

                if (aggregates.Count == 0 && keys.Count == 0)
                {
                    // One group with no outputs still needs a column to exist in SQL.
                    aggregates.Add(new("count", AggregateFunction.Count, null));
                }

                var source = ((Connection)context.Source!).Plan;
                var plan = source with
                {
                    Grouping = new Grouping(keys.Select(k => new Projection("key_" + k!.Name, new ColumnExpression(k))).ToList(), aggregates),
                    OrderBy = [],
                    After = null,
                    Take = QueryPlan.AllGroups,
                    Reader = Reader(context, auditCounts: true),
                };
                var result = await Guard(() => _executor.ExecuteAsync(plan, context.CancellationToken));

                return result.Rows.Select(row => result.Columns.Select((c, i) => (c.Name, row[i])).ToDictionary(p => p.Name, p => Output(p.Item2))).ToList();
            }),
        };
    }

    /// <summary>
    /// The fields selected under the current field, as "name" and "name.child" paths (one level of nesting is all
    /// an aggregate group has), following fragment spreads and inline fragments. Directives are not evaluated, so
    /// a field under <c>@skip</c> is still computed: the answer is a superset, never missing a value.
    /// </summary>
    static HashSet<string> SelectedPaths(IResolveFieldContext context)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var fragments = context.Document.Definitions.OfType<GraphQLParser.AST.GraphQLFragmentDefinition>()
            .GroupBy(f => f.FragmentName.Name.StringValue)
            .ToDictionary(g => g.Key, g => g.First());
        Collect(context.FieldAst.SelectionSet, "", 0);
        return paths;

        void Collect(GraphQLParser.AST.GraphQLSelectionSet? selectionSet, string prefix, int depth)
        {
            // Fragments may not form cycles in a valid document; the depth bound keeps an invalid one harmless.
            if (selectionSet is null || depth > 32)
            {
                return;
            }

            foreach (var selection in selectionSet.Selections)
            {
                switch (selection)
                {
                    case GraphQLParser.AST.GraphQLField field:
                        var path = prefix + field.Name.StringValue;
                        paths.Add(path);
                        if (prefix.Length == 0)
                        {
                            Collect(field.SelectionSet, path + ".", depth + 1);
                        }

                        break;
                    case GraphQLParser.AST.GraphQLInlineFragment inline:
                        Collect(inline.SelectionSet, prefix, depth + 1);
                        break;
                    case GraphQLParser.AST.GraphQLFragmentSpread spread when fragments.TryGetValue(spread.FragmentName.Name.StringValue, out var fragment):
                        Collect(fragment.SelectionSet, prefix, depth + 1);
                        break;
                }
            }
        }
    }

    ObjectGraphType Bag(string name, IEnumerable<(string Field, Type Type, string Output)> fields)
    {
        var type = new ObjectGraphType { Name = Unique(name, _names) };
        foreach (var (field, graphType, output) in fields)
        {
            type.AddField(new FieldType { Name = field, Type = graphType, Resolver = Resolve<Dictionary<string, object?>>(g => g.GetValueOrDefault(output)) });
        }

        return type;
    }

    static FieldType DatasetsField(IReadOnlyList<QueryableDataset> views, Dictionary<string, string> fieldNames)
    {
        var column = new ObjectGraphType { Name = "DatasetColumn" };
        column.AddField(new FieldType { Name = "name", Type = typeof(NonNullGraphType<StringGraphType>), Resolver = Resolve<QueryableColumn>(c => c.Name) });
        column.AddField(new FieldType { Name = "type", Type = typeof(NonNullGraphType<StringGraphType>), Resolver = Resolve<QueryableColumn>(c => c.Type.ToString().ToLowerInvariant()) });
        column.AddField(new FieldType { Name = "nullable", Type = typeof(NonNullGraphType<BooleanGraphType>), Resolver = Resolve<QueryableColumn>(c => c.Nullable) });
        column.AddField(new FieldType { Name = "key", Type = typeof(NonNullGraphType<BooleanGraphType>), Resolver = Resolve<QueryableColumn>(c => c.Key) });
        column.AddField(new FieldType { Name = "filterable", Type = typeof(NonNullGraphType<BooleanGraphType>), Resolver = Resolve<QueryableColumn>(c => c.Filterable) });

        var dataset = new ObjectGraphType { Name = "Dataset", Description = "A published dataset as the catalog describes it." };
        dataset.AddField(new FieldType { Name = "id", Type = typeof(NonNullGraphType<StringGraphType>), Resolver = Resolve<QueryableDataset>(d => d.Id) });
        dataset.AddField(new FieldType { Name = "title", Type = typeof(NonNullGraphType<StringGraphType>), Resolver = Resolve<QueryableDataset>(d => d.Title) });
        dataset.AddField(new FieldType { Name = "accessLevel", Type = typeof(NonNullGraphType<StringGraphType>), Resolver = Resolve<QueryableDataset>(d => d.AccessLevel.ToString().ToLowerInvariant()) });
        dataset.AddField(new FieldType { Name = "version", Type = typeof(NonNullGraphType<IntGraphType>), Resolver = Resolve<QueryableDataset>(d => d.Version) });
        dataset.AddField(new FieldType { Name = "rowCount", Type = typeof(NonNullGraphType<LongGraphType>), Resolver = Resolve<QueryableDataset>(d => d.RowCount) });
        dataset.AddField(new FieldType { Name = "field", Type = typeof(NonNullGraphType<StringGraphType>), Description = "The root field that queries this dataset.", Resolver = Resolve<QueryableDataset>(d => fieldNames[d.Id]) });
        dataset.AddField(new FieldType { Name = "columns", ResolvedType = new NonNullGraphType(new ListGraphType(new NonNullGraphType(column))), Resolver = Resolve<QueryableDataset>(d => d.Columns) });

        return new FieldType
        {
            Name = "datasets",
            Description = "The datasets you may query, with their columns.",
            ResolvedType = new NonNullGraphType(new ListGraphType(new NonNullGraphType(dataset))),
            Resolver = new FuncFieldResolver<object?>(_ => views),
        };
    }

    InputObjectGraphType Filter(ColumnType type)
    {
        var filter = new InputObjectGraphType { Name = type + "Filter", Description = "Comparisons with OData's semantics: eq null matches nulls; other comparisons are false for nulls." };
        foreach (var op in new[] { "eq", "ne", "gt", "gte", "lt", "lte" })
        {
            if (type == ColumnType.Boolean && op is not ("eq" or "ne"))
            {
                continue;
            }

            filter.AddField(new FieldType { Name = op, Type = Scalar(type) });
        }

        filter.AddField(new FieldType { Name = "in", Type = typeof(ListGraphType<>).MakeGenericType(Scalar(type)) });
        filter.AddField(new FieldType { Name = "isNull", Type = typeof(BooleanGraphType) });
        if (type == ColumnType.String)
        {
            foreach (var op in new[] { "contains", "startsWith", "endsWith" })
            {
                filter.AddField(new FieldType { Name = op, Type = typeof(StringGraphType) });
            }
        }

        return filter;
    }

    // Scalars are referenced by CLR type so that the schema holds one instance of each.
    static Type Scalar(ColumnType type) => type switch
    {
        ColumnType.String => typeof(StringGraphType),
        ColumnType.Integer => typeof(LongGraphType),
        ColumnType.Decimal => typeof(DecimalGraphType),
        ColumnType.Boolean => typeof(BooleanGraphType),
        ColumnType.Date => typeof(DateOnlyGraphType),
        _ => typeof(DateTimeGraphType),
    };

    static int IndexOf(IReadOnlyList<QueryableColumn> columns, QueryableColumn column)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (ReferenceEquals(columns[i], column))
            {
                return i;
            }
        }

        throw new ArgumentException($"'{column.Name}' is not a column of the dataset.", nameof(column));
    }

    static FuncFieldResolver<object?> Resolve<T>(Func<T, object?> read) => new(context => read((T)context.Source!));

    /// <summary>Query errors become GraphQL errors with the message the caller needs.</summary>
    static async ValueTask<T> Guard<T>(Func<Task<T>> run)
    {
        try
        {
            return await run();
        }
        catch (QueryException e)
        {
            throw new ExecutionError(e.Message) { Code = "INVALID_QUERY" };
        }
        catch (QueryLimitException e)
        {
            throw new ExecutionError(e.Message) { Code = e.Limit.ToString().ToUpperInvariant() + "_LIMIT" };
        }
        catch (QueryFailedException e)
        {
            throw new ExecutionError(e.Message) { Code = "QUERY_FAILED" };
        }
    }

    static T Guard<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        catch (QueryException e)
        {
            throw new ExecutionError(e.Message) { Code = "INVALID_QUERY" };
        }
        catch (QueryLimitException e)
        {
            throw new ExecutionError(e.Message) { Code = e.Limit.ToString().ToUpperInvariant() + "_LIMIT" };
        }
        catch (QueryFailedException e)
        {
            throw new ExecutionError(e.Message) { Code = "QUERY_FAILED" };
        }
    }

    /// <summary>Datetimes are stored without an offset and mean UTC; GraphQL writes them with Z.</summary>
    internal static object? Output(object? value) => value is DateTime t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : value;

    static string Unique(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var i = 2; !taken.Add(candidate); i++)
        {
            candidate = name + "_" + i;
        }

        return candidate;
    }

    /// <summary>
    /// Names a column may not take in the schema: the combinators of a <c>where</c> input (a column field of the same
    /// name would collide with them) and the words GraphQL forbids as enum values (the orderBy and groupBy columns
    /// are enum values). Such a column is called <c>{name}_column</c> throughout the schema.
    /// </summary>
    static readonly HashSet<string> _reserved = new(StringComparer.Ordinal) { "and", "or", "not", "true", "false", "null" };

    /// <summary>
    /// A GraphQL name for a column: letters, digits and underscores, not starting with a digit or "__", and not one of
    /// the <see cref="_reserved"/> words.
    /// </summary>
    internal static string ColumnFieldName(string name)
    {
        var builder = new StringBuilder();
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        var result = builder.ToString();
        if (_reserved.Contains(result))
        {
            return result + "_column";
        }

        return result.Length == 0 || char.IsAsciiDigit(result[0]) || result.StartsWith("__", StringComparison.Ordinal) ? "c" + result : result;
    }

    /// <summary>The root field of a dataset: its id with dashes and other marks as underscores (ho-tich → ho_tich).</summary>
    static string FieldName(string id) => ColumnFieldName(id);

    /// <summary>The record type of a dataset: its id in PascalCase (ho-tich-2024 → HoTich2024).</summary>
    static string TypeName(string id)
    {
        var builder = new StringBuilder();
        var upper = true;
        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        var name = builder.ToString();
        return name.Length == 0 || char.IsAsciiDigit(name[0]) ? "D" + name : name;
    }

    /// <summary>A connection: the plan of the rows, run once however many of its fields the query selects.</summary>
    sealed class Connection(QueryPlan plan, QueryExecutor executor, bool positions)
    {
        Task<ConnectionPage>? _page;
        Task<long>? _count;

        public QueryPlan Plan => plan;

        public Task<ConnectionPage> PageAsync(CancellationToken cancellationToken) =>
            _page ??= Guard(async () =>
            {
                var result = await executor.ExecuteAsync(plan, cancellationToken, everyPosition: positions);

                // Cursors are encoded only for the edges a document asks for, not for every row.
                return new ConnectionPage(result.Rows, result.Positions, result.Next);
            }).AsTask();

        public Task<long> CountAsync(CancellationToken cancellationToken) =>
            _count ??= executor.CountAsync(plan, cancellationToken);
    }

    sealed record Edge(KeysetPosition Position, object?[] Node);

    sealed record ConnectionPage(IReadOnlyList<object?[]> Nodes, IReadOnlyList<KeysetPosition> Positions, KeysetPosition? Next)
    {
        public IEnumerable<Edge> Edges => Nodes.Select((n, i) => new Edge(Positions[i], n));
    }
}

/// <summary>What the resolvers need to know about the request: who asks, and the document, for the audit log.</summary>
sealed class GraphQLUserContext(ConsumerContext consumer, string document) : Dictionary<string, object?>
{
    public ConsumerContext Consumer { get; } = consumer;

    public string Document { get; } = document;

    readonly ConcurrentDictionary<string, bool> _products = new(StringComparer.Ordinal);

    /// <summary>The data products whose datasets the request read (resolvers may run in parallel).</summary>
    public IEnumerable<string> Products => _products.Keys;

    /// <summary>Notes that the request read a dataset of <paramref name="productId"/>, if it belongs to one.</summary>
    public void Read(string? productId)
    {
        if (productId is not null)
        {
            _products.TryAdd(productId, true);
        }
    }
}
