using System.Data.Common;
using System.Globalization;
using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Catalog.Query;

/// <summary>
/// What differs between SQLite and PostgreSQL in the SQL the <see cref="SqlTranslator"/> writes: function names,
/// how values are stored, and a few semantics (integer casts, boolean aggregates). Everything else is shared.
/// </summary>
abstract class SqlDialect
{
    public static readonly SqlDialect Sqlite = new SqliteDialect();
    public static readonly SqlDialect PostgreSql = new PostgreSqlDialect();

    public static SqlDialect For(DatabaseProvider provider) => provider == DatabaseProvider.PostgreSql ? PostgreSql : Sqlite;

    public abstract DatabaseProvider Provider { get; }

    /// <summary>Quotes an identifier that comes from the schema (never from a caller).</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>The value to bind for a literal of the plan, in the storage form of this database.</summary>
    public abstract object ToParameterValue(object value);

    /// <summary>A function call over already-translated arguments.</summary>
    public abstract string Function(QueryFunction function, IReadOnlyList<string> arguments);

    /// <summary>The folded form (see <see cref="TextFolding"/>) of a string expression; null folds to the empty string.</summary>
    public abstract string Fold(string argument);

    /// <summary>True when <paramref name="haystack"/> contains <paramref name="needle"/>; null when either is null.</summary>
    public abstract string ContainsText(string haystack, string needle);

    /// <summary>The remainder of a division, with the sign of the dividend as in C#.</summary>
    public abstract string Modulo(string left, string right, bool decimals);

    /// <summary>An aggregate over an already-translated argument of <paramref name="type"/>.</summary>
    public virtual string Aggregate(AggregateFunction function, string? argument, ColumnType? type) => function switch
    {
        AggregateFunction.Count => "COUNT(*)",
        AggregateFunction.CountDistinct => $"COUNT(DISTINCT {argument})",
        AggregateFunction.Sum => $"SUM({argument})",
        AggregateFunction.Average => $"AVG({argument})",
        AggregateFunction.Min => $"MIN({argument})",
        _ => $"MAX({argument})",
    };

    /// <summary>
    /// Reads column <paramref name="ordinal"/> of the reader's current row in the plan's CLR form for
    /// <paramref name="type"/>, boxed, whatever the database's column type. Checking the field type on every row made
    /// typed getters slower than this; <see cref="ReadFor"/> decides them once per statement instead, for the
    /// streamed OData pages that never need the value as an object.
    /// </summary>
    public object? Read(DbDataReader reader, int ordinal, ColumnType type) => ReadValue(reader.GetValue(ordinal), type);

    /// <summary>
    /// Reads a sort key of a keyset position: as <see cref="Read"/>, but exactly as the database holds it, because the
    /// next page compares the key with this value for equality to find where it left off.
    /// </summary>
    public virtual object? ReadKey(DbDataReader reader, int ordinal, ColumnType type) => Read(reader, ordinal, type);

    /// <summary>
    /// How to read column <paramref name="ordinal"/> of a row query when it holds values of <paramref name="type"/>:
    /// with the typed getter of its CLR type when the database's column type is known to match it for every row,
    /// else boxed through <see cref="Read"/>. Decided once per statement, so the rows pay no type checks.
    /// </summary>
    public virtual ColumnRead ReadFor(DbDataReader reader, int ordinal, ColumnType type) => ColumnRead.Boxed;

    /// <summary>Turns a value read back from the database into the plan's CLR form for <paramref name="type"/>.</summary>
    public object? ReadValue(object? value, ColumnType type)
    {
        if (value is null or DBNull)
        {
            return null;
        }

        return type switch
        {
            ColumnType.String => value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture),
            ColumnType.Integer => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            // Convert.ToDecimal keeps 15 significant digits of a double, which hides binary floating-point noise.
            ColumnType.Decimal => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
            ColumnType.Boolean => value is bool b ? b : Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
            ColumnType.Date => value switch
            {
                DateOnly d => d,
                DateTime dt => DateOnly.FromDateTime(dt),
                string s => DateOnly.Parse(s.Length > 10 ? s[..10] : s, CultureInfo.InvariantCulture),
                _ => throw new InvalidCastException($"Cannot read a date from {value.GetType().Name}."),
            },
            _ => value switch
            {
                DateTime dt => DateTime.SpecifyKind(dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt, DateTimeKind.Unspecified),
                DateOnly d => d.ToDateTime(TimeOnly.MinValue),
                string s => DateTime.SpecifyKind(
                    DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                    DateTimeKind.Unspecified),
                _ => throw new InvalidCastException($"Cannot read a datetime from {value.GetType().Name}."),
            },
        };
    }
}

/// <summary>How the values of one result column are read: see <see cref="SqlDialect.ReadFor"/>.</summary>
enum ColumnRead
{
    /// <summary><see cref="DbDataReader.GetValue"/> and <see cref="SqlDialect.ReadValue"/>, for any column.</summary>
    Boxed,
    String,
    Int64,
    Decimal,
    Boolean,
    Date,
    DateTime,
}

/// <summary>
/// SQLite stores dates as ISO-8601 text (so text comparison is date comparison), booleans as 0/1 and decimals as
/// REAL. Unicode case mapping and the search fold are functions registered on each connection
/// (<see cref="QueryExecutor"/>), because SQLite's own lower() and upper() only know ASCII.
/// </summary>
sealed class SqliteDialect : SqlDialect
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public override object ToParameterValue(object value) => value switch
    {
        bool b => b ? 1L : 0L,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        // The catalog stores datetimes in UTC with seven fractional digits, so text order is time order.
        DateTime dt => dt.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        // Through text, because the decimal-to-double conversion can miss the nearest double by one unit in the last
        // place, and a keyset position must bind back to exactly the value it was read from.
        decimal m => double.Parse(m.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        _ => value,
    };

    public override string Function(QueryFunction function, IReadOnlyList<string> a) => function switch
    {
        QueryFunction.Contains => $"(instr({a[0]}, {a[1]}) > 0)",
        QueryFunction.StartsWith => $"(substr({a[0]}, 1, length({a[1]})) = {a[1]})",
        // substr(x, -0) is the whole string in SQLite, so an empty suffix needs its own case.
        QueryFunction.EndsWith => $"(length({a[1]}) = 0 OR substr({a[0]}, -length({a[1]})) = {a[1]})",
        QueryFunction.ToLower => $"dp_lower({a[0]})",
        QueryFunction.ToUpper => $"dp_upper({a[0]})",
        QueryFunction.Trim => $"trim({a[0]}, ' ')",
        QueryFunction.Length => $"length({a[0]})",
        QueryFunction.IndexOf => $"(instr({a[0]}, {a[1]}) - 1)",
        QueryFunction.Substring => a.Count == 3 ? $"substr({a[0]}, ({a[1]}) + 1, {a[2]})" : $"substr({a[0]}, ({a[1]}) + 1)",
        QueryFunction.Concat => $"({a[0]} || {a[1]})",
        QueryFunction.Year => $"CAST(strftime('%Y', {a[0]}) AS INTEGER)",
        QueryFunction.Month => $"CAST(strftime('%m', {a[0]}) AS INTEGER)",
        QueryFunction.Day => $"CAST(strftime('%d', {a[0]}) AS INTEGER)",
        _ => $"date({a[0]})",
    };

    // A REAL read as a decimal keeps 15 significant digits, enough to show but not to find the row again: a computed
    // key such as income div 3 holds 17, and the next page would start with the last row of this one. The shortest
    // text that round-trips the double is exact as a decimal (when it fits one), and binds back to the same double.
    public override object? ReadKey(DbDataReader reader, int ordinal, ColumnType type) =>
        type == ColumnType.Decimal && reader.GetValue(ordinal) is double d
            && decimal.TryParse(d.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out var exact)
            ? exact
            : Read(reader, ordinal, type);

    public override string Fold(string argument) => $"dp_fold({argument})";

    public override string ContainsText(string haystack, string needle) => $"(instr({haystack}, {needle}) > 0)";

    // SQLite's % truncates REAL operands to integers first, so decimals use the definition of the remainder.
    public override string Modulo(string left, string right, bool decimals) =>
        decimals ? $"(({left}) - ({right}) * CAST(({left}) / ({right}) AS INTEGER))" : $"({left} % {right})";
}

/// <summary>PostgreSQL stores every type natively: text, bigint, numeric, boolean, date and timestamp.</summary>
sealed class PostgreSqlDialect : SqlDialect
{
    static readonly string _foldFrom = "'" + TextFolding.From + "'";
    static readonly string _foldTo = "'" + TextFolding.To + "'";

    public override DatabaseProvider Provider => DatabaseProvider.PostgreSql;

    // Datetime columns are timestamptz; the plan's datetimes are UTC, so they are bound as such.
    public override object ToParameterValue(object value) =>
        value is DateTime dt ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : value;

    public override string Function(QueryFunction function, IReadOnlyList<string> a) => function switch
    {
        QueryFunction.Contains => $"(strpos({a[0]}, {a[1]}) > 0)",
        QueryFunction.StartsWith => $"(left({a[0]}, length({a[1]})) = {a[1]})",
        QueryFunction.EndsWith => $"(right({a[0]}, length({a[1]})) = {a[1]})",
        QueryFunction.ToLower => $"lower({a[0]})",
        QueryFunction.ToUpper => $"upper({a[0]})",
        QueryFunction.Trim => $"btrim({a[0]}, ' ')",
        QueryFunction.Length => $"CAST(length({a[0]}) AS bigint)",
        QueryFunction.IndexOf => $"CAST(strpos({a[0]}, {a[1]}) - 1 AS bigint)",
        QueryFunction.Substring => a.Count == 3
            ? $"substr({a[0]}, CAST(({a[1]}) + 1 AS integer), CAST({a[2]} AS integer))"
            : $"substr({a[0]}, CAST(({a[1]}) + 1 AS integer))",
        QueryFunction.Concat => $"({a[0]} || {a[1]})",
        QueryFunction.Year => $"CAST(EXTRACT(YEAR FROM {a[0]}) AS bigint)",
        QueryFunction.Month => $"CAST(EXTRACT(MONTH FROM {a[0]}) AS bigint)",
        QueryFunction.Day => $"CAST(EXTRACT(DAY FROM {a[0]}) AS bigint)",
        _ => $"CAST({a[0]} AS date)",
    };

    public override string Fold(string argument) => $"translate(COALESCE({argument}, ''), {_foldFrom}, {_foldTo})";

    public override string ContainsText(string haystack, string needle) => $"(strpos({haystack}, {needle}) > 0)";

    public override string Modulo(string left, string right, bool decimals) => $"({left} % {right})";

    // Every value of a PostgreSQL column has the column's type. (SQLite's types are per value, so it always reads
    // boxed.) Anything else, such as an int4 from an expression, is read boxed and converted.
    public override ColumnRead ReadFor(DbDataReader reader, int ordinal, ColumnType type) => (type, reader.GetDataTypeName(ordinal)) switch
    {
        (ColumnType.String, "text" or "character varying") => ColumnRead.String,
        (ColumnType.Integer, "bigint") => ColumnRead.Int64,
        (ColumnType.Decimal, "numeric") => ColumnRead.Decimal,
        (ColumnType.Boolean, "boolean") => ColumnRead.Boolean,
        (ColumnType.Date, "date") => ColumnRead.Date,
        (ColumnType.DateTime, "timestamp with time zone" or "timestamp without time zone") => ColumnRead.DateTime,
        _ => ColumnRead.Boxed,
    };

    // PostgreSQL has no MIN/MAX over booleans; false < true, so they are "all true" and "any true".
    public override string Aggregate(AggregateFunction function, string? argument, ColumnType? type) => (function, type) switch
    {
        (AggregateFunction.Min, ColumnType.Boolean) => $"bool_and({argument})",
        (AggregateFunction.Max, ColumnType.Boolean) => $"bool_or({argument})",
        _ => base.Aggregate(function, argument, type),
    };
}
