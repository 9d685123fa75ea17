using System.Globalization;
using DataPlatform.Portal.Api;

namespace DataPlatform.Portal.Datasets;

/// <summary>
/// Turns the preview's form (a column, an operator, a value; a sort column and direction; a keyset token) into
/// OData query options. Column names come only from the dataset's schema and operators from a fixed list, and the
/// value is written as an OData literal of the column's type (a string quoted with its quotes doubled), so nothing
/// a visitor types becomes part of the expression's structure.
/// </summary>
internal static class PreviewQuery
{
    public static readonly string[] TextOperators = ["contains", "eq", "startswith"];
    public static readonly string[] OrderedOperators = ["eq", "gt", "ge", "lt", "le"];

    public static IReadOnlyList<string> OperatorsFor(ColumnView column) => column.Type switch
    {
        "integer" or "decimal" or "date" or "datetime" => OrderedOperators,
        "boolean" => ["eq"],
        _ => TextOperators,
    };

    /// <summary>The <c>$filter</c> expression, or an error naming what is wrong with the value.</summary>
    public static (string? Filter, string? Error) Filter(ColumnView column, string op, string value)
    {
        if (!OperatorsFor(column).Contains(op))
        {
            return (null, "operator");
        }

        var literal = Literal(column, value.Trim());
        if (literal is null)
        {
            return (null, "value");
        }

        var name = column.Name;
        return op is "contains" or "startswith"
            ? ($"{op}(tolower({name}),tolower({literal}))", null)
            : ($"{name} {op} {literal}", null);
    }

    public static string Options(string? filter, ColumnView? sort, bool descending, string? skipToken)
    {
        var parts = new List<string>();
        if (filter is not null)
        {
            parts.Add("$filter=" + Uri.EscapeDataString(filter));
        }

        if (sort is not null)
        {
            parts.Add("$orderby=" + Uri.EscapeDataString(sort.Name + (descending ? " desc" : " asc")));
        }

        if (!string.IsNullOrEmpty(skipToken))
        {
            parts.Add("$skiptoken=" + Uri.EscapeDataString(skipToken));
        }

        return string.Join('&', parts);
    }

    static string? Literal(ColumnView column, string value)
    {
        var invariant = CultureInfo.InvariantCulture;
        switch (column.Type)
        {
            case "integer":
                return long.TryParse(value, NumberStyles.AllowLeadingSign, invariant, out var whole)
                    || long.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowThousands, CultureInfo.CurrentCulture, out whole)
                    ? whole.ToString(invariant) : null;
            case "decimal":
                return decimal.TryParse(value, NumberStyles.Number, invariant, out var number)
                    || decimal.TryParse(value, NumberStyles.Number, CultureInfo.CurrentCulture, out number)
                    ? number.ToString(invariant) : null;
            case "boolean":
                return value.ToLowerInvariant() switch
                {
                    "true" or "1" or "có" or "yes" => "true",
                    "false" or "0" or "không" or "no" => "false",
                    _ => null,
                };
            case "date":
                return DateOnly.TryParseExact(value, "yyyy-MM-dd", invariant, DateTimeStyles.None, out var date)
                    || DateOnly.TryParse(value, CultureInfo.CurrentCulture, DateTimeStyles.None, out date)
                    ? date.ToString("yyyy-MM-dd", invariant) : null;
            case "datetime":
                return DateTimeOffset.TryParse(value, invariant, DateTimeStyles.AssumeUniversal, out var moment)
                    ? moment.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", invariant) : null;
            default:
                return value.Length is 0 or > 500 ? null : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        }
    }
}
