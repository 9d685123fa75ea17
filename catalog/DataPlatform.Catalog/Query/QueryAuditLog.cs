using System.Data.Common;
using System.Globalization;
using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Catalog.Query;

/// <summary>One read of a restricted dataset: who, when, which dataset, through which door, the query and the rows returned.</summary>
sealed record QueryAuditEntry(
    long Id,
    DateTimeOffset At,
    string ConsumerId,
    string? AccountId,
    string? ClientIp,
    string DatasetId,
    string FrontDoor,
    string Query,
    long Rows);

/// <summary>
/// The audit log of reads of restricted datasets, in the catalog's database (table <c>query_audit</c>). A read is
/// recorded after its rows are read and before they are sent, so a failure to record fails the read rather than
/// leaving it unrecorded.
/// </summary>
sealed class QueryAuditLog(PlatformDatabase database, TimeProvider time)
{
    /// <summary>The table, created by migration 4001 (numbered after the issue, away from the store's own).</summary>
    public static readonly Migration Migration = new(
        4001,
        "query_audit: reads of restricted datasets",
        """
        CREATE TABLE IF NOT EXISTS query_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            consumer_id TEXT NOT NULL,
            account_id TEXT,
            client_ip TEXT,
            dataset_id TEXT NOT NULL,
            front_door TEXT NOT NULL,
            query TEXT NOT NULL,
            rows INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_query_audit_dataset_at ON query_audit (dataset_id, at);
        CREATE INDEX IF NOT EXISTS ix_query_audit_consumer_at ON query_audit (consumer_id, at);
        """,
        """
        CREATE TABLE IF NOT EXISTS query_audit (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at timestamptz NOT NULL,
            consumer_id text NOT NULL,
            account_id text,
            client_ip text,
            dataset_id text NOT NULL,
            front_door text NOT NULL,
            query text NOT NULL,
            rows bigint NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_query_audit_dataset_at ON query_audit (dataset_id, at);
        CREATE INDEX IF NOT EXISTS ix_query_audit_consumer_at ON query_audit (consumer_id, at);
        """);

    public async Task RecordAsync(ConsumerContext consumer, string datasetId, string frontDoor, string query, long rows, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO query_audit (at, consumer_id, account_id, client_ip, dataset_id, front_door, query, rows)
            VALUES (@at, @consumer, @account, @ip, @dataset, @door, @query, @rows)
            """;
        var now = time.GetUtcNow();
        Add(command, "at", database.Provider == DatabaseProvider.PostgreSql ? now : now.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        Add(command, "consumer", consumer.ConsumerId);
        Add(command, "account", consumer.AccountId);
        Add(command, "ip", consumer.ClientIp);
        Add(command, "dataset", datasetId);
        Add(command, "door", frontDoor);
        // The query is kept whole up to a bound, so a pathological request cannot bloat the log.
        Add(command, "query", query.Length > 8_000 ? query[..8_000] + "…" : query);
        Add(command, "rows", rows);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The newest entries first, optionally for one dataset or consumer and within a time range.</summary>
    public async Task<IReadOnlyList<QueryAuditEntry>> SearchAsync(
        string? datasetId, string? consumerId, DateTimeOffset? from, DateTimeOffset? to, int limit, CancellationToken cancellationToken)
    {
        var postgres = database.Provider == DatabaseProvider.PostgreSql;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var conditions = new List<string>();
        if (datasetId is not null)
        {
            conditions.Add("dataset_id = @dataset");
            Add(command, "dataset", datasetId);
        }

        if (consumerId is not null)
        {
            conditions.Add("consumer_id = @consumer");
            Add(command, "consumer", consumerId);
        }

        if (from is not null)
        {
            conditions.Add("at >= @from");
            Add(command, "from", postgres ? from.Value.ToUniversalTime() : from.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        }

        if (to is not null)
        {
            conditions.Add("at < @to");
            Add(command, "to", postgres ? to.Value.ToUniversalTime() : to.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        }

        command.CommandText = "SELECT id, at, consumer_id, account_id, client_ip, dataset_id, front_door, query, rows FROM query_audit"
            + (conditions.Count > 0 ? " WHERE " + string.Join(" AND ", conditions) : "")
            + " ORDER BY id DESC LIMIT @limit";
        Add(command, "limit", (long)limit);

        var entries = new List<QueryAuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var at = reader.GetValue(1) switch
            {
                DateTime t => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)),
                DateTimeOffset o => o,
                var value => DateTimeOffset.Parse(Convert.ToString(value, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture),
            };
            entries.Add(new QueryAuditEntry(
                reader.GetInt64(0), at, reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetInt64(8)));
        }

        return entries;
    }

    static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
