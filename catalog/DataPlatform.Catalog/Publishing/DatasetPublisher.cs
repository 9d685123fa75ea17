using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Descriptors;
using DataPlatform.Catalog.Storage;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using nietras.SeparatedValues;
using Npgsql;

namespace DataPlatform.Catalog.Publishing;

/// <summary>The outcome of a successful publish.</summary>
public sealed record PublishResult(string DatasetId, int Version, long RowCount, long Bytes, string Delimiter, IReadOnlyList<DatasetColumn> Columns);

/// <summary>
/// Publishes a CSV as a new version: while the upload streams in, check and type every row and load it, in
/// ONE transaction, into the version's table (binary COPY on PostgreSQL, prepared inserts on SQLite); then check keys, index,
/// record the version, switch the dataset to it and drop versions past retention. A failure anywhere rolls
/// the whole transaction back, so nothing is half-published and the previous version keeps serving;
/// readers see the old version or the new one, never a mix.
/// </summary>
public sealed partial class DatasetPublisher(
    DatasetStore store, DescriptorWriter descriptors, IOptions<CatalogOptions> options, TimeProvider time, ILogger<DatasetPublisher> logger)
{
    /// <summary>How many rows, at most, decide the inferred types before loading starts.</summary>
    const int SampleRows = 20_000;

    /// <summary>How many characters, at most, the sample holds in memory.</summary>
    const long SampleChars = 8 << 20;

    /// <summary>How much of the upload's start the delimiter detection looks at.</summary>
    const int DelimiterWindow = 1 << 16;

    PlatformDatabase Database => store.Database;

    /// <summary>Publishes <paramref name="csv"/> to dataset <paramref name="datasetId"/>.</summary>
    internal async Task<PublishResult> PublishAsync(string datasetId, Stream csv, string publishedBy, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var dataset = await store.FindAsync(datasetId, cancellationToken) ?? throw NotFound(datasetId);
        var started = Stopwatch.GetTimestamp();

        // The upload streams through one pipe into the parser while it is spooled to disk; the parser's thread
        // checks and types the rows and a loading thread writes them to the database, so receiving, parsing
        // and loading overlap. Only when a value defeats the types inferred from the sample is the spooled
        // copy read again.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, useSynchronizationContext: false));
        var spooling = CsvSpooler.SpoolAsync(
            csv, string.IsNullOrWhiteSpace(settings.SpoolDirectory) ? Path.GetTempPath() : settings.SpoolDirectory, settings.MaxUploadBytes, stop.Token, pipe.Writer);
        try
        {
            PublishResult result;
            try
            {
                result = await PublishStreamAsync(dataset, pipe.Reader, spooling, publishedBy, started, stop.Token);
            }
            catch (DbException e) when (IsTooWide(e))
            {
                // Only reachable when an operator raised Catalog:MaxColumns past what the engine takes for
                // these column types; the transaction is rolled back, so the previous version keeps serving.
                throw CsvPass.TooManyColumns(null, settings.MaxColumns);
            }

            cancellationToken.ThrowIfCancellationRequested();
            return result;
        }
        catch (Exception failure)
        {
            await stop.CancelAsync();
            await pipe.Reader.CompleteAsync();
            if (await DiscardAsync(spooling) is { } refused && failure is not PublishFailure)
            {
                // The upload itself was refused (not UTF-8, too large): that is the error to report, not the
                // parser's or loader's reaction to the pipe closing on it.
                throw refused;
            }

            throw;
        }
    }

    /// <summary>Waits for the spooling to end and deletes its file; returns its refusal of the upload, if any.</summary>
    static async Task<PublishFailure?> DiscardAsync(Task<SpooledFile> spooling)
    {
        try
        {
            (await spooling).Dispose();
            return null;
        }
        catch (PublishFailure refused)
        {
            return refused;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Cancelled because the publish failed for another reason, which is the one reported.
            return null;
        }
    }

    async Task<PublishResult> PublishStreamAsync(
        Dataset dataset, PipeReader upload, Task<SpooledFile> spooling, string publishedBy, long started, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var datasetId = dataset.Id;
        var delimiter = await DetectDelimiterAsync(upload, cancellationToken);
        using var reader = CsvPass.OpenReader(upload.AsStream(), delimiter);
        var (pass, sample) = await OnOwnThread(() =>
        {
            var started = CsvPass.Start(reader, dataset.Metadata.Columns, settings.MaxReportedErrors, settings.MaxColumns);
            return (started, started.Sample(reader, SampleRows, SampleChars));
        }, cancellationToken);

        await using var connection = await Database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await CatalogTransactions.BeginWriteAsync(connection, cancellationToken);
        await using (var lockRow = connection.Command(
            Database.Provider == DatabaseProvider.PostgreSql
                ? "SELECT last_version, storage_key FROM datasets WHERE id = @id FOR UPDATE"
                : "SELECT last_version, storage_key FROM datasets WHERE id = @id", transaction).With("id", datasetId))
        await using (var lockReader = await lockRow.ExecuteReaderAsync(cancellationToken))
        {
            if (!await lockReader.ReadAsync(cancellationToken))
            {
                throw NotFound(datasetId);
            }

            dataset = dataset with { CurrentVersion = lockReader.GetInt32(0), StorageKey = lockReader.GetString(1) };
        }

        var version = dataset.CurrentVersion + 1;
        var table = SqlIdentifiers.VersionTable(dataset.StorageKey, version);
        await connection.RunAsync(CreateTableSql(table, pass), transaction, cancellationToken);
        var loaded = await LoadAsync(connection, table, pass, (batches, token) => ReadUpload(reader, sample, pass, batches, token), cancellationToken);
        var columns = pass.Finish();
        using var file = await spooling;
        var secondPass = pass.SpeculationFailed;
        if (secondPass)
        {
            // A value later in the file did not fit the type the sample suggested: find the types of the whole
            // file from the spooled copy, then load it again into a table of those types.
            LogSecondPass(logger, datasetId);
            await connection.RunAsync($"DROP TABLE {SqlIdentifiers.Quote(table)}", transaction, cancellationToken);
            pass = pass.Restart(types: null);
            await OnOwnThread(() => ReadFile(file.Path, delimiter, pass, batches: null, cancellationToken), cancellationToken);
            columns = pass.Finish();
            pass = pass.Restart(columns.Select(c => c.Type).ToList());
            await connection.RunAsync(CreateTableSql(table, pass), transaction, cancellationToken);
            loaded = await LoadAsync(connection, table, pass, (batches, token) => ReadFile(file.Path, delimiter, pass, batches, token), cancellationToken);
            columns = pass.Finish();
        }

        if (loaded != pass.Rows)
        {
            throw new InvalidOperationException($"Loaded {loaded} rows where the file has {pass.Rows}.");
        }

        var loadedAt = Stopwatch.GetTimestamp();
        await IndexAsync(connection, transaction, table, columns, settings.MaxReportedErrors, cancellationToken);

        var now = Sql.Time(time.GetUtcNow());
        var delimiterName = delimiter switch { '\t' => "tab", ';' => "semicolon", _ => "comma" };
        await connection.RunAsync(
            """
            INSERT INTO dataset_versions (dataset_id, version, table_name, row_count, columns, delimiter, bytes, published_at, published_by)
            VALUES (@id, @version, @table, @rows, @columns, @delimiter, @bytes, @now, @by)
            """, transaction, cancellationToken,
            ("id", datasetId), ("version", version), ("table", table), ("rows", loaded), ("columns", JsonSerializer.Serialize(columns, DatasetStore.Json)),
            ("delimiter", delimiterName), ("bytes", file.Bytes), ("now", now), ("by", publishedBy));
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
        LogPublished(logger, datasetId, version, loaded, Stopwatch.GetElapsedTime(started, loadedAt).TotalMilliseconds,
            Stopwatch.GetElapsedTime(loadedAt).TotalMilliseconds);

        var published = await store.FindAsync(datasetId, cancellationToken);
        if (published is not null)
        {
            await descriptors.WriteAsync(published, cancellationToken);
        }

        return new PublishResult(datasetId, version, loaded, file.Bytes, delimiterName, columns);
    }

    /// <summary>
    /// The new version's table: the row number, then the file's columns in order. Only a column declared not
    /// nullable (or a key) is NOT NULL in the table; an inferred column's nullability is known only at the end.
    /// </summary>
    string CreateTableSql(string table, CsvPass pass)
    {
        var postgres = Database.Provider == DatabaseProvider.PostgreSql;
        var definitions = pass.Columns.Select((c, i) =>
            $"{SqlIdentifiers.Quote(pass.PhysicalNames[i])} {SqlType(c.Type, postgres)}{(c.Declared is { Nullable: false } or { Key: true } ? " NOT NULL" : "")}");
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

    /// <summary>
    /// Runs <paramref name="produce"/> on its own thread, checking and typing rows into batches, while this
    /// loading thread writes the batches to the new table: binary COPY on PostgreSQL, one prepared insert on
    /// SQLite. Returns the number of rows written.
    /// </summary>
    async Task<long> LoadAsync(DbConnection connection, string table, CsvPass pass, Action<BatchQueue, CancellationToken> produce, CancellationToken cancellationToken)
    {
        var types = pass.Columns.Select(c => c.Type).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var queue = new BatchQueue(types.Length);
        var producing = OnOwnThread(() =>
        {
            try
            {
                produce(queue, stop.Token);
                queue.Complete(stop.Token);
            }
            catch
            {
                stop.Cancel();
                throw;
            }
        }, stop.Token);

        long written;
        try
        {
            if (connection is NpgsqlConnection postgres)
            {
                await using var copy = await postgres.BeginRawBinaryCopyAsync($"COPY {SqlIdentifiers.Quote(table)} FROM STDIN (FORMAT BINARY)", stop.Token);
                try
                {
                    written = await OnOwnThread(() =>
                    {
                        var sink = new PostgresCopySink(copy, types.Length);
                        var rows = queue.Drain(sink, types, stop.Token);
                        sink.Finish();
                        return rows;
                    }, stop.Token);
                    await producing;
                }
                catch
                {
                    // Ends the COPY with an error, so the connection stays usable for the rollback.
                    await copy.CancelAsync();
                    throw;
                }
            }
            else
            {
                using var sink = new SqliteInsertSink((SqliteConnection)connection, table, pass.PhysicalNames);
                written = await OnOwnThread(() => queue.Drain(sink, types, stop.Token), stop.Token);
                await producing;
            }
        }
        catch
        {
            await stop.CancelAsync();
            try
            {
                await producing;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The producer's failure (a refused upload, say) explains the loader's; report it instead.
                throw;
            }
            catch (OperationCanceledException)
            {
                // The producer stopped because the loader failed; the loader's error is reported.
            }

            throw;
        }

        return written;
    }

    /// <summary>Checks and stores the sampled rows, then the rest of the upload as it arrives.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ReadUpload(SepReader reader, List<SampledRow> sample, CsvPass pass, BatchQueue batches, CancellationToken cancellationToken)
    {
        foreach (var row in sample)
        {
            pass.Check(row.View, batches.Current, cancellationToken);
            batches.Flush(cancellationToken);
        }

        sample.Clear();
        while (reader.MoveNext())
        {
            pass.Check(new ParsedRow(reader.Current), batches.Current, cancellationToken);
            batches.Flush(cancellationToken);
        }
    }

    /// <summary>Reads the spooled file from the start, checking every row and storing it when <paramref name="batches"/> is given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ReadFile(string path, char delimiter, CsvPass pass, BatchQueue? batches, CancellationToken cancellationToken)
    {
        using var reader = CsvPass.OpenReader(path, delimiter);
        reader.MoveNext();
        while (reader.MoveNext())
        {
            pass.Check(new ParsedRow(reader.Current), batches?.Current, cancellationToken);
            batches?.Flush(cancellationToken);
        }
    }

    /// <summary>Looks at the start of the upload, without consuming it, to choose the delimiter.</summary>
    static async Task<char> DetectDelimiterAsync(PipeReader upload, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await upload.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            if (buffer.Length >= DelimiterWindow || read.IsCompleted)
            {
                var start = Encoding.UTF8.GetString(buffer.Slice(0, Math.Min(buffer.Length, DelimiterWindow)));
                upload.AdvanceTo(buffer.Start);
                return CsvPass.DetectDelimiter(start);
            }

            upload.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Runs blocking work (reading the pipe, writing the database) on a thread of its own, off the thread pool.</summary>
    static Task<T> OnOwnThread<T>(Func<T> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    static Task OnOwnThread(Action work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

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

        // Without statistics the planner guesses a new table's size and value spread until autovacuum visits it (up
        // to a minute later on PostgreSQL, never on SQLite), and a guess can turn a selective filter into a full
        // scan. Analysing here, inside the publish's transaction, means the version serves its first query with
        // them. SQLite samples a bounded number of rows per index, as PostgreSQL samples by default.
        if (!postgres)
        {
            await connection.RunAsync("PRAGMA analysis_limit = 1000", transaction, cancellationToken);
        }

        await connection.RunAsync($"ANALYZE {quoted}", transaction, cancellationToken);
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

    /// <summary>
    /// True for the engine's refusal of a table or row too wide: PostgreSQL's too_many_columns and
    /// program_limit_exceeded ("row is too big"), SQLite's "too many columns".
    /// </summary>
    static bool IsTooWide(DbException e) => e switch
    {
        PostgresException { SqlState: PostgresErrorCodes.TooManyColumns or PostgresErrorCodes.ProgramLimitExceeded } => true,
        SqliteException sqlite => sqlite.Message.Contains("too many columns", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    static PublishFailure NotFound(string datasetId) => new(StatusCodes.Status404NotFound, Contracts.Problems.ProblemTypes.NotFound, "No such dataset",
        $"There is no dataset '{datasetId}'. Create it first with PUT /api/v1/datasets/{datasetId}, then publish its file.");

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Published version {Version} of dataset {DatasetId} with {Rows} rows: {LoadMs:F0} ms receiving, checking and loading, {IndexMs:F0} ms indexing and switching")]
    static partial void LogPublished(ILogger logger, string datasetId, int version, long rows, double loadMs, double indexMs);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "A value of dataset {DatasetId}'s file did not fit the types inferred from its first rows; reading the file again with the types of the whole file")]
    static partial void LogSecondPass(ILogger logger, string datasetId);
}
