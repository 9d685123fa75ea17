using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Descriptors;
using DataPlatform.Catalog.Storage;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DataPlatform.Catalog.Publishing;

/// <summary>The outcome of a successful publish.</summary>
public sealed record PublishResult(string DatasetId, int Version, long RowCount, long Bytes, string Delimiter, IReadOnlyList<DatasetColumn> Columns);

/// <summary>
/// Publishes a CSV as a new version: spool, inspect and validate, then in ONE transaction create the
/// version's table, load it (binary COPY on PostgreSQL, prepared inserts on SQLite), check keys, index,
/// record the version, switch the dataset to it and drop versions past retention. A failure anywhere rolls
/// the whole transaction back, so nothing is half-published and the previous version keeps serving;
/// readers see the old version or the new one, never a mix.
/// </summary>
public sealed partial class DatasetPublisher(
    DatasetStore store, DescriptorWriter descriptors, IOptions<CatalogOptions> options, TimeProvider time, ILogger<DatasetPublisher> logger)
{
    PlatformDatabase Database => store.Database;

    /// <summary>Publishes <paramref name="csv"/> to dataset <paramref name="datasetId"/>.</summary>
    internal async Task<PublishResult> PublishAsync(string datasetId, Stream csv, string publishedBy, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var dataset = await store.FindAsync(datasetId, cancellationToken) ?? throw NotFound(datasetId);
        var started = Stopwatch.GetTimestamp();
        using var file = await CsvSpooler.SpoolAsync(
            csv, string.IsNullOrWhiteSpace(settings.SpoolDirectory) ? Path.GetTempPath() : settings.SpoolDirectory, settings.MaxUploadBytes, cancellationToken);
        var inspection = CsvInspector.Inspect(file.Path, dataset.Metadata.Columns, settings.MaxReportedErrors, cancellationToken);

        await using var connection = await Database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await CatalogTransactions.BeginWriteAsync(connection, cancellationToken);
        await using (var lockRow = connection.Command(
            Database.Provider == DatabaseProvider.PostgreSql
                ? "SELECT last_version, storage_key FROM datasets WHERE id = @id FOR UPDATE"
                : "SELECT last_version, storage_key FROM datasets WHERE id = @id", transaction).With("id", datasetId))
        await using (var reader = await lockRow.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw NotFound(datasetId);
            }

            dataset = dataset with { CurrentVersion = reader.GetInt32(0), StorageKey = reader.GetString(1) };
        }

        var inspectedAt = Stopwatch.GetTimestamp();
        var version = dataset.CurrentVersion + 1;
        var table = SqlIdentifiers.VersionTable(dataset.StorageKey, version);
        var columns = inspection.Columns;
        await connection.RunAsync(CreateTableSql(table, columns), transaction, cancellationToken);
        var loaded = Database.Provider == DatabaseProvider.PostgreSql
            ? await CopyAsync((NpgsqlConnection)connection, table, file.Path, inspection, cancellationToken)
            : await InsertAsync((SqliteConnection)connection, table, file.Path, inspection, cancellationToken);
        if (loaded != inspection.RowCount)
        {
            throw new InvalidOperationException($"Loaded {loaded} rows where the inspection counted {inspection.RowCount}.");
        }

        var loadedAt = Stopwatch.GetTimestamp();
        await IndexAsync(connection, transaction, table, columns, settings.MaxReportedErrors, cancellationToken);

        var now = Sql.Time(time.GetUtcNow());
        var delimiter = inspection.Delimiter switch { '\t' => "tab", ';' => "semicolon", _ => "comma" };
        await connection.RunAsync(
            """
            INSERT INTO dataset_versions (dataset_id, version, table_name, row_count, columns, delimiter, bytes, published_at, published_by)
            VALUES (@id, @version, @table, @rows, @columns, @delimiter, @bytes, @now, @by)
            """, transaction, cancellationToken,
            ("id", datasetId), ("version", version), ("table", table), ("rows", loaded), ("columns", JsonSerializer.Serialize(columns, DatasetStore.Json)),
            ("delimiter", delimiter), ("bytes", file.Bytes), ("now", now), ("by", publishedBy));
        // The switch: one row update, committed with everything above.
        await connection.RunAsync(
            """
            UPDATE datasets SET current_version = @version, current_table = @table, current_row_count = @rows, last_version = @version,
                columns = @columns, modified_at = @now
            WHERE id = @id
            """, transaction, cancellationToken,
            ("id", datasetId), ("version", version), ("table", table), ("rows", loaded), ("columns", JsonSerializer.Serialize(columns, DatasetStore.Json)), ("now", now));
        await ApplyRetentionAsync(connection, transaction, datasetId, settings.RetainedVersions, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogPublished(logger, datasetId, version, loaded, Stopwatch.GetElapsedTime(started, inspectedAt).TotalMilliseconds,
            Stopwatch.GetElapsedTime(inspectedAt, loadedAt).TotalMilliseconds, Stopwatch.GetElapsedTime(loadedAt).TotalMilliseconds);

        var published = await store.FindAsync(datasetId, cancellationToken);
        if (published is not null)
        {
            await descriptors.WriteAsync(published, cancellationToken);
        }

        return new PublishResult(datasetId, version, loaded, file.Bytes, delimiter, columns);
    }

    string CreateTableSql(string table, IReadOnlyList<DatasetColumn> columns)
    {
        var postgres = Database.Provider == DatabaseProvider.PostgreSql;
        var definitions = columns.Select(c => $"{SqlIdentifiers.Quote(c.PhysicalName)} {SqlType(c.Type, postgres)}{(c.Nullable ? "" : " NOT NULL")}");
        var row = postgres ? $"{SqlIdentifiers.Quote(SqlIdentifiers.RowNumberColumn)} BIGINT NOT NULL" : $"{SqlIdentifiers.Quote(SqlIdentifiers.RowNumberColumn)} INTEGER PRIMARY KEY";
        return $"CREATE TABLE {SqlIdentifiers.Quote(table)} ({string.Join(", ", definitions.Prepend(row))})";
    }

    /// <summary>The SQL type of a column on each engine; docs/catalog.md lists them.</summary>
    public static string SqlType(ColumnType type, bool postgres) => (type, postgres) switch
    {
        (ColumnType.Integer, true) => "BIGINT",
        (ColumnType.Decimal, true) => "NUMERIC",
        (ColumnType.Boolean, true) => "BOOLEAN",
        (ColumnType.Date, true) => "DATE",
        (ColumnType.Datetime, true) => "TIMESTAMPTZ",
        (_, true) => "TEXT",
        (ColumnType.Integer, false) => "INTEGER",
        (ColumnType.Decimal, false) => "REAL",
        (ColumnType.Boolean, false) => "INTEGER",
        _ => "TEXT",
    };

    static async Task<long> CopyAsync(NpgsqlConnection connection, string table, string path, CsvInspection inspection, CancellationToken cancellationToken)
    {
        var names = string.Join(", ", inspection.Columns.Select(c => SqlIdentifiers.Quote(c.PhysicalName)).Prepend(SqlIdentifiers.Quote(SqlIdentifiers.RowNumberColumn)));
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {SqlIdentifiers.Quote(table)} ({names}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        var rows = ReadRows(path, inspection, new CopySink(importer), cancellationToken);
        await importer.CompleteAsync(cancellationToken);
        return rows;
    }

    static Task<long> InsertAsync(SqliteConnection connection, string table, string path, CsvInspection inspection, CancellationToken cancellationToken)
    {
        using var sink = new SqliteInsertSink(connection, table, inspection.Columns.Select(c => c.PhysicalName).ToList());
        return Task.FromResult(ReadRows(path, inspection, sink, cancellationToken));
    }

    /// <summary>The second pass: reads the file again and writes each row's typed values to <paramref name="sink"/>.</summary>
    static long ReadRows(string path, CsvInspection inspection, IRowSink sink, CancellationToken cancellationToken)
    {
        var columns = inspection.Columns;
        var types = columns.Select(c => c.Type).ToArray();
        using var reader = CsvInspector.OpenReader(path, inspection.Delimiter);
        long row = 0;
        var header = true;
        foreach (var current in reader)
        {
            if (header)
            {
                header = false;
                continue;
            }

            if (current.ColCount != types.Length)
            {
                continue;
            }

            row++;
            if ((row & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            sink.BeginRow(row);
            for (var i = 0; i < types.Length; i++)
            {
                CsvValues.TryUnquote(current[i].Span, out var text, out _);
                if (text.IsEmpty)
                {
                    sink.Null(i);
                    continue;
                }

                if (!WriteValue(sink, i, types[i], text))
                {
                    throw new InvalidOperationException($"Row {row} changed between the two passes.");
                }
            }

            sink.EndRow();
        }

        return row;
    }

    static bool WriteValue(IRowSink sink, int column, ColumnType type, ReadOnlySpan<char> text)
    {
        switch (type)
        {
            case ColumnType.Integer when CsvValues.TryInt64(text, out var integer):
                sink.Int64(column, integer);
                return true;
            case ColumnType.Decimal when CsvValues.TryDecimal(text, out var number):
                sink.Decimal(column, number);
                return true;
            case ColumnType.Boolean when CsvValues.TryBoolean(text, out var flag):
                sink.Boolean(column, flag);
                return true;
            case ColumnType.Date when CsvValues.TryDate(text, out var date):
                sink.Date(column, date);
                return true;
            case ColumnType.Datetime when CsvValues.TryDatetime(text, out var moment):
                sink.Datetime(column, moment);
                return true;
            case ColumnType.String:
                sink.Text(column, text);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Finds the duplicated keys that made the unique index fail, and reports them.</summary>
    static async Task<PublishFailure> DuplicateKeysAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<DatasetColumn> keys, int maxErrors, CancellationToken cancellationToken)
    {

        var keyList = string.Join(", ", keys.Select(k => SqlIdentifiers.Quote(k.PhysicalName)));
        var row = SqlIdentifiers.Quote(SqlIdentifiers.RowNumberColumn);
        await using var command = connection.Command(
            $"SELECT {keyList}, MIN({row}), MAX({row}), COUNT(*) FROM {SqlIdentifiers.Quote(table)} GROUP BY {keyList} HAVING COUNT(*) > 1 ORDER BY MIN({row}) LIMIT @limit",
            transaction).With("limit", maxErrors);
        var errors = new List<RowError>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var value = string.Join(", ", keys.Select((k, i) => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)));
                var first = reader.GetInt64(keys.Count);
                var last = reader.GetInt64(keys.Count + 1);
                var count = reader.GetInt64(keys.Count + 2);
                errors.Add(new RowError(last, null, string.Join(", ", keys.Select(k => k.Name)), value,
                    $"duplicate key: {count} rows have this key, first at row {first}"));
            }
        }

        return new PublishFailure(StatusCodes.Status422UnprocessableEntity, CatalogProblems.DuplicateKeys, "Duplicate keys",
            $"The key ({string.Join(", ", keys.Select(k => k.Name))}) must be unique; {errors.Count} duplicated value(s) are listed. Nothing was published.",
            errors, errors.Count);
    }

    async Task IndexAsync(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<DatasetColumn> columns, int maxErrors, CancellationToken cancellationToken)
    {
        var postgres = Database.Provider == DatabaseProvider.PostgreSql;
        var quoted = SqlIdentifiers.Quote(table);
        if (Database.Provider == DatabaseProvider.PostgreSql)
        {
            await connection.RunAsync($"ALTER TABLE {quoted} ADD PRIMARY KEY ({SqlIdentifiers.Quote(SqlIdentifiers.RowNumberColumn)})", transaction, cancellationToken);
        }

        var keys = columns.Where(c => c.Key).ToList();
        if (keys.Count > 0)
        {
            // Building the unique index is the duplicate check: one sort instead of a separate GROUP BY scan.
            // Only when it fails does a query find the duplicates to report; on PostgreSQL a savepoint keeps
            // the transaction usable for that query.
            if (postgres)
            {
                await connection.RunAsync("SAVEPOINT unique_key", transaction, cancellationToken);
            }

            try
            {
                await connection.RunAsync(
                    $"CREATE UNIQUE INDEX {SqlIdentifiers.Quote(table + "_key")} ON {quoted} ({string.Join(", ", keys.Select(k => SqlIdentifiers.Quote(k.PhysicalName)))})",
                    transaction, cancellationToken);
            }
            catch (DbException e) when (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } or SqliteException { SqliteErrorCode: 19 })
            {
                if (postgres)
                {
                    await connection.RunAsync("ROLLBACK TO SAVEPOINT unique_key", transaction, cancellationToken);
                }

                throw await DuplicateKeysAsync(connection, transaction, table, keys, maxErrors, cancellationToken);
            }
        }

        var index = 0;
        foreach (var column in columns.Where(c => c.Filterable && !(c.Key && keys.Count == 1)))
        {
            await connection.RunAsync(
                $"CREATE INDEX {SqlIdentifiers.Quote(table + "_f" + index++.ToString(CultureInfo.InvariantCulture))} ON {quoted} ({SqlIdentifiers.Quote(column.PhysicalName)})",
                transaction, cancellationToken);
        }
    }

    static async Task ApplyRetentionAsync(DbConnection connection, DbTransaction transaction, string datasetId, int retained, CancellationToken cancellationToken)
    {
        var expired = new List<(int Version, string Table)>();
        await using (var command = connection.Command(
            "SELECT version, table_name FROM dataset_versions WHERE dataset_id = @id AND table_name IS NOT NULL ORDER BY version DESC", transaction).With("id", datasetId))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            var seen = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                if (++seen > retained)
                {
                    expired.Add((reader.GetInt32(0), reader.GetString(1)));
                }
            }
        }

        foreach (var (version, table) in expired)
        {
            await connection.RunAsync($"DROP TABLE IF EXISTS {SqlIdentifiers.Quote(table)}", transaction, cancellationToken);
            await connection.RunAsync("UPDATE dataset_versions SET table_name = NULL WHERE dataset_id = @id AND version = @version",
                transaction, cancellationToken, ("id", datasetId), ("version", version));
        }
    }

    static PublishFailure NotFound(string datasetId) => new(StatusCodes.Status404NotFound, Contracts.Problems.ProblemTypes.NotFound, "No such dataset",
        $"There is no dataset '{datasetId}'. Create it first with PUT /api/v1/datasets/{datasetId}, then publish its file.");

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Published version {Version} of dataset {DatasetId} with {Rows} rows: {InspectMs:F0} ms spooling and checking, {LoadMs:F0} ms loading, {IndexMs:F0} ms indexing and switching")]
    static partial void LogPublished(ILogger logger, string datasetId, int version, long rows, double inspectMs, double loadMs, double indexMs);
}
