using System.Data.Common;
using Dapper;
using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Billing.Storage;

/// <summary>
/// Billing's access to its database through Dapper: every statement is parameterized, and the few places where
/// SQLite and PostgreSQL spell something differently ask for the dialect here.
/// </summary>
sealed class BillingDb(PlatformDatabase database)
{
    static BillingDb() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public bool IsPostgres => database.Provider == DatabaseProvider.PostgreSql;

    /// <summary>The larger of two values: SQLite's scalar MAX is PostgreSQL's GREATEST.</summary>
    public string Greatest => IsPostgres ? "GREATEST" : "MAX";

    public Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => database.OpenConnectionAsync(cancellationToken);

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return (await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<T?> SingleAsync<T>(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    public async Task<int> ExecuteAsync(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, committing when it returns.</summary>
    public async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = connection is Microsoft.Data.Sqlite.SqliteConnection sqlite
            // Take SQLite's write lock at the start, so two writers queue instead of failing on upgrade.
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(cancellationToken);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }
}

/// <summary>Moments as billing stores them: Unix seconds.</summary>
static class UnixTime
{
    public static long Of(DateTimeOffset moment) => moment.ToUnixTimeSeconds();

    public static DateTimeOffset At(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    public static DateTimeOffset? At(long? seconds) => seconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;
}
