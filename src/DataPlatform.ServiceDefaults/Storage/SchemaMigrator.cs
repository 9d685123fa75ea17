using System.Data.Common;

namespace DataPlatform.ServiceDefaults.Storage;

/// <summary>One forward-only change to a service's tables, written for each engine.</summary>
/// <param name="Version">Applied in ascending order; never renumber a released one.</param>
/// <param name="Name">What the change does.</param>
/// <param name="Sqlite">The SQL for SQLite.</param>
/// <param name="PostgreSql">The SQL for PostgreSQL.</param>
public sealed record Migration(int Version, string Name, string Sqlite, string PostgreSql);

/// <summary>
/// Applies a service's migrations at start-up, each in its own transaction, recording them in
/// <c>schema_migrations</c>. Several instances may start at once: on PostgreSQL an advisory lock lets one
/// of them migrate, and on SQLite the write lock of <c>BEGIN IMMEDIATE</c> does the same.
/// </summary>
public static class SchemaMigrator
{
    /// <summary>Applies every migration in <paramref name="migrations"/> that is not applied yet.</summary>
    public static async Task ApplyAsync(
        PlatformDatabase database, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        await database.EnsureCreatedAsync(cancellationToken);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var postgres = database.Provider == DatabaseProvider.PostgreSql;

        if (postgres)
        {
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock(hashtext('{database.Schema}.migrations'))", cancellationToken);
        }

        try
        {
            await ExecuteAsync(connection, null,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                cancellationToken);

            foreach (var migration in migrations.OrderBy(m => m.Version))
            {
                await using var transaction = await BeginAsync(connection, postgres, cancellationToken);
                if (await IsAppliedAsync(connection, transaction, migration.Version, cancellationToken))
                {
                    await transaction.CommitAsync(cancellationToken);
                    continue;
                }

                await ExecuteAsync(connection, transaction, postgres ? migration.PostgreSql : migration.Sqlite, cancellationToken);
                await using var record = connection.CreateCommand();
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)";
                AddParameter(record, "version", migration.Version);
                AddParameter(record, "name", migration.Name);
                AddParameter(record, "at", DateTimeOffset.UtcNow.ToString("O"));
                await record.ExecuteNonQueryAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            if (postgres)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock(hashtext('{database.Schema}.migrations'))", CancellationToken.None);
            }
        }
    }

    static async Task<DbTransaction> BeginAsync(DbConnection connection, bool postgres, CancellationToken cancellationToken)
    {
        if (postgres)
        {
            return await connection.BeginTransactionAsync(cancellationToken);
        }

        // Microsoft.Data.Sqlite starts a deferred transaction unless asked otherwise; take the write lock now
        // so two starting instances cannot both decide a migration is missing.
        return ((Microsoft.Data.Sqlite.SqliteConnection)connection).BeginTransaction(deferred: false);
    }

    static async Task<bool> IsAppliedAsync(DbConnection connection, DbTransaction transaction, int version, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE version = @version";
        AddParameter(command, "version", version);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken)) > 0;
    }

    static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
