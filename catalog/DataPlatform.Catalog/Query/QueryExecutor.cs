using System.Data.Common;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DataPlatform.Catalog.Query;

/// <summary>One page of a query's result.</summary>
/// <param name="Columns">The output columns.</param>
/// <param name="Rows">The rows, values in the order of <paramref name="Columns"/>.</param>
/// <param name="Next">Where the next page starts, or <c>null</c> on the last page.</param>
/// <param name="Positions">For row queries run with <c>everyPosition</c>, each row's own keyset position (GraphQL gives
/// every edge a cursor); otherwise empty.</param>
sealed record QueryResult(IReadOnlyList<OutputColumn> Columns, IReadOnlyList<object?[]> Rows, KeysetPosition? Next, IReadOnlyList<KeysetPosition> Positions);

/// <summary>
/// The one path by which the catalog reads a dataset's rows, whatever the front door (OData, GraphQL,
/// <c>/rows</c>, downloads): it checks the plan against the limits (<see cref="QueryPlanLimits"/>), translates it,
/// binds the parameters, enforces the statement timeout and the group limit, records reads of restricted datasets
/// in the audit log, turns database failures into query errors, and reads the values back in the plan's types.
/// </summary>
sealed partial class QueryExecutor(
    PlatformDatabase database, QueryConnections connections, IOptions<QueryOptions> options, QueryAuditLog audit, ILogger<QueryExecutor> logger)
{
    readonly QueryOptions _options = options.Value;
    readonly SqlDialect _dialect = SqlDialect.For(database.Provider);

    public SqlDialect Dialect => _dialect;

    /// <summary>
    /// Runs the plan and returns its page, with the position of the next page when there is one, and each row's
    /// position when <paramref name="everyPosition"/> asks for them (each costs a read and an allocation per row).
    /// </summary>
    public async Task<QueryResult> ExecuteAsync(QueryPlan plan, CancellationToken cancellationToken, bool everyPosition = false)
    {
        var result = await ReadAsync(plan, cancellationToken, everyPosition);
        await AuditAsync(plan, result.Rows.Count, cancellationToken);
        return result;
    }

    async Task<QueryResult> ReadAsync(QueryPlan plan, CancellationToken cancellationToken, bool everyPosition)
    {
        Check(plan);
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
        KeysetPosition? last = null;

        await using (var open = await OpenAsync(statement, cancellationToken))
        {
            var reader = open.Reader;
            var outputs = statement.Outputs.Count;
            while (await open.ReadAsync())
            {
                var row = new object?[outputs];
                for (var i = 0; i < outputs; i++)
                {
                    row[i] = _dialect.Read(reader, i, statement.Outputs[i].Type);
                }

                rows.Add(row);
                if (!plan.IsGrouped && everyPosition)
                {
                    positions.Add(ReadPosition(reader, statement));
                }
                else if (!plan.IsGrouped && rows.Count == limit)
                {
                    // The last row of a full page is where the next page starts, if the extra row shows there is one.
                    last = ReadPosition(reader, statement);
                }
            }
        }

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
        if (everyPosition)
        {
            positions.RemoveAt(positions.Count - 1);
            last = positions[limit - 1];
        }

        return new QueryResult(statement.Outputs, rows, last, positions);
    }

    /// <summary>
    /// Starts a row query (not an aggregation) and returns its page as a stream of rows, for a front door that
    /// writes each row as it is read. Errors up to the first row surface here or from the first
    /// <see cref="QueryRowStream.ReadAsync"/>; the caller disposes the stream.
    /// </summary>
    public async Task<QueryRowStream> StreamAsync(QueryPlan plan, CancellationToken cancellationToken)
    {
        if (plan.IsGrouped)
        {
            throw new ArgumentException("Aggregations are read whole, with their group limit; stream only row queries.", nameof(plan));
        }

        Check(plan);
        var limit = Math.Max(plan.Take, 0);
        var statement = SqlTranslator.Translate(plan with { Take = limit == 0 ? 0 : limit + 1 }, _dialect);
        return new QueryRowStream(await OpenAsync(statement, cancellationToken), limit, ClosingAudit(plan));
    }

    /// <summary>
    /// Starts a download export: the plan's whole result, rows or groups, read a row at a time under the export
    /// timeout (<see cref="QueryOptions.ExportTimeoutSeconds"/>) instead of the statement timeout, with no page and no
    /// group limit, because the result goes to a file rather than into memory. Errors are translated as for
    /// queries; the caller disposes the stream.
    /// </summary>
    public async Task<QueryRowStream> ExportAsync(QueryPlan plan, CancellationToken cancellationToken)
    {
        // An export has no page limit (it goes to a file, not into memory), but every other limit holds.
        Check(plan, pageLimit: false);
        var statement = SqlTranslator.Translate(plan with { Take = Math.Max(plan.Take, 0) }, _dialect);
        // The statement asks for exactly the plan's rows, so the stream never reaches its limit and reads no position.
        return new QueryRowStream(await OpenAsync(statement, cancellationToken, _options.ExportTimeoutSeconds), int.MaxValue, ClosingAudit(plan));
    }

    /// <summary>
    /// For a streamed read of a restricted dataset, the audit entry written when the stream closes, with the rows it
    /// read; streams of other datasets record nothing. It is written even when the client has gone, because the
    /// rows may have reached it.
    /// </summary>
    Func<long, Task>? ClosingAudit(QueryPlan plan) =>
        AuditReader(plan) is not null ? rows => AuditAsync(plan, rows, CancellationToken.None) : null;

    /// <summary>
    /// The number of rows (or groups) the plan matches. An unfiltered row count is the version's stored row count,
    /// which costs nothing.
    /// </summary>
    public async Task<long> CountAsync(QueryPlan plan, CancellationToken cancellationToken)
    {
        Check(plan, pageLimit: false);
        long count;
        if (!plan.IsGrouped && plan.Filter is null && plan.Search is null)
        {
            count = plan.Dataset.RowCount;
        }
        else
        {
            var statement = SqlTranslator.TranslateCount(plan, _dialect);
            await using var open = await OpenAsync(statement, cancellationToken);
            count = await open.ReadAsync() ? Convert.ToInt64(open.Reader.GetValue(0)) : 0;
        }

        if (plan.Reader is not { AuditCounts: false })
        {
            // No rows are returned, but a count of a restricted dataset still tells something (whether a citizen id
            // is in it), so it is recorded with no rows.
            await AuditAsync(plan, 0, cancellationToken);
        }

        return count;
    }

    /// <summary>
    /// Checks the plan against the limits, and that a read of a restricted dataset names its reader: the audit log
    /// is written here, so a front door that forgot to say who reads would otherwise read unrecorded.
    /// </summary>
    void Check(QueryPlan plan, bool pageLimit = true)
    {
        QueryPlanLimits.Validate(plan, _options, pageLimit);
        if (IsAudited(plan) && plan.Reader is null)
        {
            throw new InvalidOperationException($"A read of the restricted dataset '{plan.Dataset.Id}' must name its reader for the audit log.");
        }
    }

    static bool IsAudited(QueryPlan plan) => plan.Dataset.AccessLevel == AccessLevel.Restricted;

    /// <summary>The reader to record for this plan, or <c>null</c> when its read is not audited.</summary>
    static QueryReader? AuditReader(QueryPlan plan) => IsAudited(plan) && plan.Reader is { Audited: true } reader ? reader : null;

    /// <summary>
    /// Records a read of a restricted dataset, after its rows are read and before they are sent: a failure to
    /// record fails the read rather than leaving it unrecorded.
    /// </summary>
    Task AuditAsync(QueryPlan plan, long rows, CancellationToken cancellationToken) =>
        AuditReader(plan) is { } reader
            ? audit.RecordAsync(reader.Consumer, plan.Dataset.Id, reader.FrontDoor, reader.Query, rows, cancellationToken)
            : Task.CompletedTask;

    /// <summary>The keyset position of the reader's current row: its hidden sort-key columns, then its row id.</summary>
    internal KeysetPosition ReadPosition(DbDataReader reader, SqlStatement statement)
    {
        var outputs = statement.Outputs.Count;
        var keys = new object?[statement.SortKeyTypes.Count];
        for (var k = 0; k < keys.Length; k++)
        {
            keys[k] = _dialect.ReadKey(reader, outputs + k, statement.SortKeyTypes[k]);
        }

        return new KeysetPosition(keys, Convert.ToInt64(reader.GetValue(outputs + keys.Length)));
    }

    async Task<OpenStatement> OpenAsync(SqlStatement statement, CancellationToken cancellationToken, int? exportTimeoutSeconds = null)
    {
        var seconds = exportTimeoutSeconds ?? _options.StatementTimeoutSeconds;
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        for (var attempt = 1; ; attempt++)
        {
            DbConnection? connection = null;
            CancellationTokenRegistration interrupt = default;
            DbCommand? command = null;
            try
            {
                connection = await connections.OpenAsync(timeout.Token);
                interrupt = connection is SqliteConnection sqlite ? PrepareSqlite(sqlite, timeout.Token) : default;
                command = connection.CreateCommand();
                command.CommandText = statement.Text;
                command.CommandTimeout = seconds;
                foreach (var (name, value) in statement.Parameters)
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.Value = value;
                    command.Parameters.Add(parameter);
                }

                var reader = await command.ExecuteReaderAsync(timeout.Token);
                return new OpenStatement(this, statement, connection, command, reader, interrupt, timeout, cancellationToken, exportTimeoutSeconds);
            }
            catch (Exception e)
            {
                if (command is not null)
                {
                    await command.DisposeAsync();
                }

                await interrupt.DisposeAsync();
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }

                if (attempt == 1 && QueryConnections.IsStalePreparedStatement(e) && !timeout.IsCancellationRequested)
                {
                    // The connection has dropped its stale preparation; the second run parses the statement afresh.
                    continue;
                }

                var translated = Translate(e, timeout.IsCancellationRequested, cancellationToken, exportTimeoutSeconds);
                timeout.Dispose();
                if (translated is not null)
                {
                    throw translated;
                }

                throw;
            }
        }
    }

    /// <summary>
    /// The query error a database failure means for the caller, or <c>null</c> when it is not one;
    /// <paramref name="exportTimeoutSeconds"/> is set for an export, which has a timeout of its own.
    /// </summary>
    Exception? Translate(Exception e, bool timedOut, CancellationToken cancellationToken, int? exportTimeoutSeconds = null)
    {
        if (!cancellationToken.IsCancellationRequested && IsTimeout(e, timedOut))
        {
            return new QueryLimitException(QueryLimit.Timeout, exportTimeoutSeconds is { } export
                ? $"The export ran longer than the export timeout of {export} s and was stopped. Narrow the filter or ask for fewer rows or columns."
                : $"The query ran longer than the statement timeout of {_options.StatementTimeoutSeconds} s and was stopped. Narrow the filter or ask for fewer rows.");
        }

        switch (e)
        {
            // Class 22 is "data exception": division by zero, a negative substring length, an overflow.
            case PostgresException p when p.SqlState.StartsWith("22", StringComparison.Ordinal):
                return new QueryException("query", "The query cannot be evaluated over this data: " + p.MessageText + ".", e);
            case SqliteException s when s.Message.Contains("overflow", StringComparison.OrdinalIgnoreCase):
                return new QueryException("query", "The query cannot be evaluated over this data: integer overflow.", e);
            // Class 54 is "program limit exceeded" (statement too complex, too many columns or arguments); SQLite
            // says so in words. The plan's own limits should come first; these are the engine's last word.
            case PostgresException p when p.SqlState.StartsWith("54", StringComparison.Ordinal):
            case SqliteException s when s.Message.Contains("too large", StringComparison.OrdinalIgnoreCase)
                || s.Message.Contains("too many", StringComparison.OrdinalIgnoreCase):
                LogEngineLimit(logger, e);
                return new QueryLimitException(QueryLimit.Complexity, "The query is too complex for the database. Simplify the filter or the search.", "filter");
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case DbException or InvalidCastException or FormatException or OverflowException:
                // Not the caller's doing, as far as anyone can tell: the cause goes to the log with the trace id, and
                // the caller learns only that the query failed, never the engine or its message.
                LogQueryFailed(logger, e);
                return new QueryFailedException(e);
            default:
                return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A query exceeded a database engine limit")]
    static partial void LogEngineLimit(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A query failed in the database")]
    static partial void LogQueryFailed(ILogger logger, Exception exception);

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

    /// <summary>
    /// A running statement: its connection, command and reader, with the statement timeout armed until disposal.
    /// Reading past the timeout throws the same <see cref="QueryLimitException"/> as opening it.
    /// </summary>
    internal sealed class OpenStatement(
        QueryExecutor executor, SqlStatement statement, DbConnection connection, DbCommand command, DbDataReader reader,
        CancellationTokenRegistration interrupt, CancellationTokenSource timeout, CancellationToken cancellationToken, int? exportTimeoutSeconds) : IAsyncDisposable
    {
        public SqlStatement Statement => statement;

        public DbDataReader Reader => reader;

        public SqlDialect Dialect => executor._dialect;

        public QueryExecutor Executor => executor;

        public async ValueTask<bool> ReadAsync()
        {
            try
            {
                return await reader.ReadAsync(timeout.Token);
            }
            catch (Exception e) when (executor.Translate(e, timeout.IsCancellationRequested, cancellationToken, exportTimeoutSeconds) is { } translated)
            {
                throw translated;
            }
        }

        bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                await reader.DisposeAsync();
            }
            catch (Exception e) when (e is DbException or OperationCanceledException)
            {
                // Closing a reader whose statement was cancelled can report the cancellation again; the query's
                // outcome was already decided.
            }

            await command.DisposeAsync();
            await interrupt.DisposeAsync();
            await connection.DisposeAsync();
            timeout.Dispose();
        }
    }
}
