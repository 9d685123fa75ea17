using System.Data.Common;
using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DataPlatform.Catalog.Query;

/// <summary>
/// The connections the query core reads through. On SQLite they are the catalog's own. On PostgreSQL they come from
/// a pool of their own, tuned for the one kind of statement it ever runs, the translator's parameterized SELECTs:
/// <list type="bullet">
/// <item>Npgsql prepares a statement on a physical connection once it has run there a few times
/// (<see cref="QueryOptions.PreparedStatements"/>), so repeated queries (dashboards, Power Query refreshes, every page
/// of a keyset walk) skip parsing and analysis on the server.</item>
/// <item>They are still planned for each run's own parameter values (<c>plan_cache_mode=force_custom_plan</c>).
/// PostgreSQL's default switches a prepared statement to one generic plan after five runs, and keeps it: a generic
/// plan made while a freshly published table was not yet vacuumed kept a filtered <c>$count</c> on a bitmap heap
/// scan at 2.3 ms after autovacuum had made a 1.4 ms index-only scan possible, and one plan for every value is also
/// wrong for skewed columns (a filter on a rare value and on a common one).</item>
/// <item>Their session time zone is UTC, whatever the server's, so that date parts of datetimes are the UTC ones.</item>
/// <item>Returning a connection to this pool sends no <c>DISCARD ALL</c>: the reset exists to clear session state
/// (settings, temporary tables, advisory locks, listeners), and these statements create none. It would also
/// deallocate the prepared statements.</item>
/// </list>
/// The catalog's writes (publishing, the audit log) keep the shared pool, with its reset.
/// </summary>
sealed class QueryConnections : IAsyncDisposable
{
    readonly PlatformDatabase _database;
    readonly NpgsqlDataSource? _postgres;

    public QueryConnections(PlatformDatabase database, IOptions<PlatformOptions> platform, IOptions<QueryOptions> options)
    {
        _database = database;
        if (database.Provider == DatabaseProvider.PostgreSql)
        {
            var builder = new NpgsqlConnectionStringBuilder(platform.Value.Database)
            {
                SearchPath = database.Schema,
                NoResetOnClose = true,
                MaxAutoPrepare = options.Value.PreparedStatements,
                Options = "-c plan_cache_mode=force_custom_plan",
                // Datetimes are stored in UTC (timestamptz), and year(), month(), day() and date() must take their parts
                // in UTC, as SQLite does: PostgreSQL takes them in the session's time zone, which comes from the server's
                // configuration (often the local zone, Asia/Ho_Chi_Minh) or the connection string.
                Timezone = "UTC",
            };
            _postgres = NpgsqlDataSource.Create(builder.ConnectionString);
        }
    }

    /// <summary>Opens a connection for one query; dispose it to return it to the pool.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        _postgres is null
            ? await _database.OpenConnectionAsync(cancellationToken)
            : await _postgres.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// True when <paramref name="e"/> is PostgreSQL refusing a prepared statement because the table it reads changed
    /// its column types since it was prepared (a dataset deleted and published again under the same id and version).
    /// Npgsql forgets that preparation when it sees the error, so running the statement again succeeds.
    /// </summary>
    public static bool IsStalePreparedStatement(Exception e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.FeatureNotSupported };

    public ValueTask DisposeAsync() => _postgres?.DisposeAsync() ?? ValueTask.CompletedTask;
}
