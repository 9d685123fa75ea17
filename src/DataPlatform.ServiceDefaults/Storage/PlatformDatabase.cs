using System.Data.Common;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DataPlatform.ServiceDefaults.Storage;

/// <summary>The database engines a service can store its data in.</summary>
public enum DatabaseProvider
{
    /// <summary>A SQLite file in the data directory: the embedded default.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: the production choice.</summary>
    PostgreSql,
}

/// <summary>
/// One service's database: a SQLite file of its own in embedded mode, or a schema of its own in the
/// shared PostgreSQL database. Services open short-lived connections from here; both drivers pool them.
/// </summary>
public sealed class PlatformDatabase : IAsyncDisposable
{
    readonly NpgsqlDataSource? _postgres;
    readonly string? _sqliteConnectionString;

    PlatformDatabase(string schema, NpgsqlDataSource? postgres, string? sqliteConnectionString)
    {
        Schema = schema;
        _postgres = postgres;
        _sqliteConnectionString = sqliteConnectionString;
    }

    /// <summary>Which engine this is.</summary>
    public DatabaseProvider Provider => _postgres is null ? DatabaseProvider.Sqlite : DatabaseProvider.PostgreSql;

    /// <summary>The service's schema on PostgreSQL, and the file name on SQLite.</summary>
    public string Schema { get; }

    /// <summary>The PostgreSQL data source, for bulk operations such as binary COPY; <c>null</c> on SQLite.</summary>
    public NpgsqlDataSource? PostgresDataSource => _postgres;

    /// <summary>Creates the database for <paramref name="serviceName"/> from the platform options.</summary>
    public static PlatformDatabase Create(PlatformOptions options, string serviceName)
    {
        if (options.UsesSqlite)
        {
            Directory.CreateDirectory(options.DataDirectoryPath);
            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(options.DataDirectoryPath, serviceName + ".db"),
                Mode = SqliteOpenMode.ReadWriteCreate,
                Cache = SqliteCacheMode.Private,
                Pooling = true,
                DefaultTimeout = 30,
            };
            return new PlatformDatabase(serviceName, null, builder.ConnectionString);
        }

        var npgsql = new NpgsqlConnectionStringBuilder(options.Database) { SearchPath = serviceName };
        var dataSource = new NpgsqlDataSourceBuilder(npgsql.ConnectionString).Build();
        return new PlatformDatabase(serviceName, dataSource, null);
    }

    /// <summary>Opens a connection. On SQLite it is set up for concurrent readers and one writer.</summary>
    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(_sqliteConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        // WAL lets readers carry on while a publish writes; foreign keys are off by default in SQLite.
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Creates the service's schema on PostgreSQL; SQLite creates its file on first open.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        if (Provider == DatabaseProvider.PostgreSql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE SCHEMA IF NOT EXISTS \"{Schema}\"";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
