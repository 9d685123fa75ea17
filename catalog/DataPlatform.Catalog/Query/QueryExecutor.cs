using System.Data.Common;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DataPlatform.Catalog.Query;

/// <summary>One page of a query's result.</summary>
/// <param name="Columns">The output columns.</param>
/// <param name="Rows">The rows, values in the order of <paramref name="Columns"/>.</param>
/// <param name="Next">Where the next page starts, or <c>null</c> on the last page.</param>
/// <param name="Positions">For row queries, each row's own keyset position (GraphQL gives every edge a cursor).</param>
sealed record QueryResult(IReadOnlyList<OutputColumn> Columns, IReadOnlyList<object?[]> Rows, KeysetPosition? Next, IReadOnlyList<KeysetPosition> Positions);

/// <summary>
/// Runs plans against the catalog's database: translates them, binds the parameters, enforces the statement
/// timeout and the group limit, and reads the values back in the plan's types.
/// </summary>
sealed class QueryExecutor(PlatformDatabase database, IOptions<QueryOptions> options)
{
    readonly QueryOptions _options = options.Value;
    readonly SqlDialect _dialect = SqlDialect.For(database.Provider);

    public SqlDialect Dialect => _dialect;

    /// <summary>Runs the plan and returns its page, with the position of the next page when there is one.</summary>
    public async Task<QueryResult> ExecuteAsync(QueryPlan plan, CancellationToken cancellationToken)
    {
        var limit = plan.IsGrouped ? Math.Min(plan.Take, _options.MaxGroups) : plan.Take;
        if (limit <= 0)
        {
            // $top=0 or first: 0 asks for no rows; the statement would still report the next page wrongly.
            var empty = SqlTranslator.Translate(plan with { Take = 0 }, _dialect);
            return new QueryResult(empty.Outputs, [], null, []);
        }

        var statement = SqlTranslator.Translate(plan with { Take = limit + 1 }, _dialect);
        var rows = new List<object?[]>();
        var positions = new List<KeysetPosition>();

        await RunAsync(statement, async reader =>
        {
            var outputs = statement.Outputs.Count;
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new object?[outputs];
                for (var i = 0; i < outputs; i++)
                {
                    row[i] = _dialect.ReadValue(reader.GetValue(i), statement.Outputs[i].Type);
                }

                rows.Add(row);
                if (!plan.IsGrouped)
                {
                    var keys = new object?[statement.SortKeyTypes.Count];
                    for (var k = 0; k < keys.Length; k++)
                    {
                        keys[k] = _dialect.ReadValue(reader.GetValue(outputs + k), statement.SortKeyTypes[k]);
                    }

                    positions.Add(new KeysetPosition(keys, Convert.ToInt64(reader.GetValue(outputs + keys.Length))));
                }
            }
        }, cancellationToken);

        if (rows.Count <= limit)
        {
            return new QueryResult(statement.Outputs, rows, null, positions);
        }

        if (plan.IsGrouped)
        {
            if (plan.Take > _options.MaxGroups)
            {
                throw new QueryLimitException(QueryLimit.Groups,
                    $"The aggregation produces more than {_options.MaxGroups} groups. Filter the rows first, group by fewer or coarser columns, or ask for fewer groups with $top.");
            }

            rows.RemoveAt(rows.Count - 1);
            return new QueryResult(statement.Outputs, rows, null, positions);
        }

        rows.RemoveAt(rows.Count - 1);
        positions.RemoveAt(positions.Count - 1);
        return new QueryResult(statement.Outputs, rows, positions[limit - 1], positions);
    }

    /// <summary>
    /// The number of rows (or groups) the plan matches. An unfiltered row count is the version's stored row count,
    /// which costs nothing.
    /// </summary>
    public async Task<long> CountAsync(QueryPlan plan, CancellationToken cancellationToken)
    {
        if (!plan.IsGrouped && plan.Filter is null && plan.Search is null)
        {
            return plan.Dataset.RowCount;
        }

        var statement = SqlTranslator.TranslateCount(plan, _dialect);
        long count = 0;
        await RunAsync(statement, async reader =>
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                count = Convert.ToInt64(reader.GetValue(0));
            }
        }, cancellationToken);
        return count;
    }

    async Task RunAsync(SqlStatement statement, Func<DbDataReader, Task> read, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.StatementTimeoutSeconds));
        try
        {
            await using var connection = await database.OpenConnectionAsync(timeout.Token);
            await using var interrupt = connection is SqliteConnection sqlite ? PrepareSqlite(sqlite, timeout.Token) : default;
            await using var command = connection.CreateCommand();
            command.CommandText = statement.Text;
            command.CommandTimeout = _options.StatementTimeoutSeconds;
            foreach (var (name, value) in statement.Parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }

            await using var reader = await command.ExecuteReaderAsync(timeout.Token);
            await read(reader);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsTimeout(e, timeout.IsCancellationRequested))
        {
            throw new QueryLimitException(QueryLimit.Timeout,
                $"The query ran longer than the statement timeout of {_options.StatementTimeoutSeconds} s and was stopped. Narrow the filter or ask for fewer rows.");
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // Class 22 is "data exception": division by zero, a negative substring length, an overflow.
            throw new QueryException("query", "The query cannot be evaluated over this data: " + e.MessageText + ".", e);
        }
        catch (SqliteException e) when (e.Message.Contains("overflow", StringComparison.OrdinalIgnoreCase))
        {
            throw new QueryException("query", "The query cannot be evaluated over this data: integer overflow.", e);
        }
    }

    static bool IsTimeout(Exception e, bool timedOut) =>
        timedOut && e is OperationCanceledException or SqliteException or NpgsqlException
        || e is PostgresException { SqlState: PostgresErrorCodes.QueryCanceled }
        || e is NpgsqlException { InnerException: TimeoutException };

    /// <summary>
    /// Registers the functions SQLite lacks (Unicode case mapping, the search fold) on the connection, and stops a
    /// running statement when the timeout fires: Microsoft.Data.Sqlite's CommandTimeout only bounds lock waits.
    /// </summary>
    static CancellationTokenRegistration PrepareSqlite(SqliteConnection connection, CancellationToken timeout)
    {
        connection.CreateFunction("dp_lower", (string? s) => s?.ToLowerInvariant(), isDeterministic: true);
        connection.CreateFunction("dp_upper", (string? s) => s?.ToUpperInvariant(), isDeterministic: true);
        connection.CreateFunction("dp_fold", (string? s) => TextFolding.Fold(s), isDeterministic: true);
        var handle = connection.Handle;
        return timeout.Register(() => SQLitePCL.raw.sqlite3_interrupt(handle));
    }
}
