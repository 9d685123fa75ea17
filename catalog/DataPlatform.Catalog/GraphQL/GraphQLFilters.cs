using System.Collections;
using DataPlatform.Catalog.Query;

namespace DataPlatform.Catalog.GraphQL;

/// <summary>Turns GraphQL <c>where</c> and <c>search</c> arguments into the query plan's expressions.</summary>
static class GraphQLFilters
{
    public static QueryExpression? Where(IDictionary<string, object?> where, IReadOnlyDictionary<string, QueryableColumn> columns)
    {
        QueryExpression? result = null;
        foreach (var (name, value) in where)
        {
            var condition = name switch
            {
                "and" => Combine(List(value).Select(w => Where(Object(w), columns)), BinaryOperator.And),
                "or" => Combine(List(value).Select(w => Where(Object(w), columns)), BinaryOperator.Or),
                "not" => value is null ? null : Where(Object(value), columns) is { } inner ? new NotExpression(inner) : new ConstantExpression(false, ColumnType.Boolean),
                _ => Column(columns[name], Object(value)),
            };
            result = And(result, condition);
        }

        return result;
    }

    /// <summary>Words separated by spaces must all occur; quoted phrases are not split.</summary>
    public static QueryExpression Search(string text)
    {
        var terms = new List<string>();
        var parts = text.Split('"');
        for (var i = 0; i < parts.Length; i++)
        {
            if (i % 2 == 1)
            {
                terms.Add(parts[i]);
            }
            else
            {
                terms.AddRange(parts[i].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }

        return terms.Where(t => t.Length > 0).Select(t => (QueryExpression)new SearchTermExpression(t))
            .Aggregate((QueryExpression?)null, And) ?? new ConstantExpression(true, ColumnType.Boolean);
    }

    static QueryExpression? Column(QueryableColumn column, IDictionary<string, object?>? filter)
    {
        if (filter is null)
        {
            return null;
        }

        var target = new ColumnExpression(column);
        QueryExpression? result = null;
        foreach (var (op, value) in filter)
        {
            QueryExpression condition = op switch
            {
                "eq" => new BinaryExpression(BinaryOperator.Equal, target, Constant(value, column)),
                "ne" => new BinaryExpression(BinaryOperator.NotEqual, target, Constant(value, column)),
                "gt" => new BinaryExpression(BinaryOperator.GreaterThan, target, Constant(value, column)),
                "gte" => new BinaryExpression(BinaryOperator.GreaterThanOrEqual, target, Constant(value, column)),
                "lt" => new BinaryExpression(BinaryOperator.LessThan, target, Constant(value, column)),
                "lte" => new BinaryExpression(BinaryOperator.LessThanOrEqual, target, Constant(value, column)),
                "in" => new InExpression(target, List(value).Select(v => Constant(v, column)).ToList()),
                "isNull" => value is null ? new ConstantExpression(true, ColumnType.Boolean)
                    : new BinaryExpression((bool)value ? BinaryOperator.Equal : BinaryOperator.NotEqual, target, ConstantExpression.Null),
                "contains" => Function(QueryFunction.Contains, target, value, column),
                "startsWith" => Function(QueryFunction.StartsWith, target, value, column),
                "endsWith" => Function(QueryFunction.EndsWith, target, value, column),
                _ => throw new QueryException("where." + column.Name, $"Unknown operator '{op}'."),
            };
            result = And(result, condition);
        }

        return result;
    }

    static QueryExpression Function(QueryFunction function, QueryExpression target, object? value, QueryableColumn column) =>
        value is null ? new ConstantExpression(false, ColumnType.Boolean) : new FunctionExpression(function, [target, Constant(value, column)]);

    static ConstantExpression Constant(object? value, QueryableColumn column)
    {
        try
        {
            return value switch
            {
                null => ConstantExpression.Null,
                string s when column.Type == ColumnType.String => new(s, ColumnType.String),
                int or long or short or byte when column.Type == ColumnType.Integer => new(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), ColumnType.Integer),
                int or long or short or byte or decimal or double or float when column.Type == ColumnType.Decimal => new(Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture), ColumnType.Decimal),
                bool b => new(b, ColumnType.Boolean),
                DateOnly d => new(d, ColumnType.Date),
                DateTime t => new(DateTime.SpecifyKind(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t, DateTimeKind.Unspecified), ColumnType.DateTime),
                DateTimeOffset o => new(DateTime.SpecifyKind(o.UtcDateTime, DateTimeKind.Unspecified), ColumnType.DateTime),
                _ => throw new QueryException("where." + column.Name, $"'{value}' is not a {column.Type.ToString().ToLowerInvariant()}."),
            };
        }
        catch (OverflowException e)
        {
            throw new QueryException("where." + column.Name, "The number is out of range.", e);
        }
    }

    static QueryExpression? Combine(IEnumerable<QueryExpression?> parts, BinaryOperator op)
    {
        QueryExpression? result = null;
        foreach (var part in parts)
        {
            var item = part ?? new ConstantExpression(true, ColumnType.Boolean);
            result = result is null ? item : new BinaryExpression(op, result, item);
        }

        return result;
    }

    static QueryExpression? And(QueryExpression? left, QueryExpression? right) =>
        left is null ? right : right is null ? left : new BinaryExpression(BinaryOperator.And, left, right);

    static IEnumerable<object?> List(object? value) => value switch
    {
        null => [],
        string => [value],
        IEnumerable items => items.Cast<object?>(),
        _ => [value],
    };

    static IDictionary<string, object?> Object(object? value) =>
        value as IDictionary<string, object?> ?? throw new QueryException("where", "Expected an input object.");
}
