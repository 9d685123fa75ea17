using System.Globalization;
using DataPlatform.Billing.Storage;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Billing.Usage;

/// <summary>One counter as read from the gateway's hash, or one ledger row.</summary>
sealed record UsageCounter(string AccountId, DateTimeOffset Hour, string ProductId, string StatusClass, string Measure, long Value);

/// <summary>What one harvest did.</summary>
sealed record HarvestResult(int Hours, int Consumers, int Counters, int RowsChanged);

sealed class LedgerRow
{
    public string AccountId { get; set; } = "";
    public long Hour { get; set; }
    public string ProductId { get; set; } = "";
    public string StatusClass { get; set; } = "";
    public string Measure { get; set; } = "";
    public long Value { get; set; }
}

/// <summary>
/// The usage ledger. The gateway's counters hold absolute running totals that only grow, so the ledger stores the
/// value it read for each consumer, hour, product, status class and measure, and an upsert keeps the larger of the
/// stored and the read value. Reading a counter twice, or two harvesters reading it at once in any order, therefore
/// leaves exactly the counter's value: nothing is added, so nothing can be counted twice.
/// </summary>
sealed class UsageLedger(BillingDb db, IConnectionMultiplexer redis, TimeProvider time)
{
    public static DateTimeOffset HourOf(DateTimeOffset moment) =>
        new(moment.UtcDateTime.Year, moment.UtcDateTime.Month, moment.UtcDateTime.Day, moment.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);

    public static IEnumerable<DateTimeOffset> Hours(DateTimeOffset from, DateTimeOffset to)
    {
        for (var hour = HourOf(from); hour <= to; hour = hour.AddHours(1))
        {
            yield return hour;
        }
    }

    /// <summary>Reads every counter of the hours from <paramref name="from"/> to <paramref name="to"/> (inclusive) into the ledger.</summary>
    public async Task<HarvestResult> HarvestAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        int hours = 0, consumers = 0, counters = 0, changed = 0;
        foreach (var hour in Hours(from, to))
        {
            var read = await ReadCountersAsync(hour, null, cancellationToken);
            hours++;
            consumers += read.Select(c => c.AccountId).Distinct().Count();
            counters += read.Count;
            if (read.Count > 0)
            {
                changed += await StoreAsync(read, cancellationToken);
            }
        }

        return new HarvestResult(hours, consumers, counters, changed);
    }

    /// <summary>The gateway's counters of one hour, for every consumer or only <paramref name="accountId"/>.</summary>
    public async Task<IReadOnlyList<UsageCounter>> ReadCountersAsync(DateTimeOffset hour, string? accountId, CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        var consumerIds = accountId is null
            ? (await database.SetMembersAsync(RedisKeys.UsageIndex(hour))).Select(v => v.ToString()).ToList()
            : [accountId];
        // Pipelined in slices, so an hour with many consumers neither floods the connection nor waits on one round trip each.
        var hashes = new List<HashEntry[]>(consumerIds.Count);
        foreach (var slice in consumerIds.Chunk(256))
        {
            hashes.AddRange(await Task.WhenAll(slice.Select(id => database.HashGetAllAsync(RedisKeys.Usage(id, hour)))));
            cancellationToken.ThrowIfCancellationRequested();
        }

        var result = new List<UsageCounter>();
        for (var i = 0; i < consumerIds.Count; i++)
        {
            foreach (var entry in hashes[i])
            {
                if (UsageField.Parse(entry.Name!) is { } field && entry.Value.TryParse(out long value))
                {
                    result.Add(new UsageCounter(consumerIds[i], hour, field.ProductId ?? UsageField.NoProduct, field.StatusClass, field.Measure, value));
                }
            }
        }

        return result;
    }

    async Task<int> StoreAsync(IReadOnlyList<UsageCounter> counters, CancellationToken cancellationToken)
    {
        var now = UnixTime.Of(time.GetUtcNow());
        // One order for every harvester, so concurrent transactions on PostgreSQL lock rows in the same sequence and
        // wait for each other instead of deadlocking.
        var ordered = counters.OrderBy(c => c.AccountId, StringComparer.Ordinal).ThenBy(c => c.ProductId, StringComparer.Ordinal)
            .ThenBy(c => c.StatusClass, StringComparer.Ordinal).ThenBy(c => c.Measure, StringComparer.Ordinal).ToList();
        var sql = $"""
            INSERT INTO usage_ledger (account_id, hour, product_id, status_class, measure, value, harvested_at)
            VALUES (@a, @h, @p, @s, @m, @v, @now)
            ON CONFLICT (account_id, hour, product_id, status_class, measure)
            DO UPDATE SET value = {db.Greatest}(usage_ledger.value, excluded.value), harvested_at = excluded.harvested_at
            WHERE excluded.value > usage_ledger.value
            """;
        return await db.InTransactionAsync(async (connection, transaction) =>
        {
            var changed = 0;
            if (connection is Npgsql.NpgsqlConnection postgres)
            {
                // PostgreSQL: a slice of counters goes as arrays in one statement, so a harvest is not bound by round trips.
                foreach (var slice in ordered.Chunk(StatementRows))
                {
                    await using var upsert = new Npgsql.NpgsqlCommand($"""
                        INSERT INTO usage_ledger (account_id, hour, product_id, status_class, measure, value, harvested_at)
                        SELECT a, h, p, s, m, v, @now FROM unnest(@a, @h, @p, @s, @m, @v) AS t(a, h, p, s, m, v)
                        ON CONFLICT (account_id, hour, product_id, status_class, measure)
                        DO UPDATE SET value = GREATEST(usage_ledger.value, excluded.value), harvested_at = excluded.harvested_at
                        WHERE excluded.value > usage_ledger.value
                        """, postgres, (Npgsql.NpgsqlTransaction)transaction);
                    upsert.Parameters.AddWithValue("now", now);
                    upsert.Parameters.AddWithValue("a", slice.Select(c => c.AccountId).ToArray());
                    upsert.Parameters.AddWithValue("h", slice.Select(c => UnixTime.Of(c.Hour)).ToArray());
                    upsert.Parameters.AddWithValue("p", slice.Select(c => c.ProductId).ToArray());
                    upsert.Parameters.AddWithValue("s", slice.Select(c => c.StatusClass).ToArray());
                    upsert.Parameters.AddWithValue("m", slice.Select(c => c.Measure).ToArray());
                    upsert.Parameters.AddWithValue("v", slice.Select(c => c.Value).ToArray());
                    changed += await upsert.ExecuteNonQueryAsync(cancellationToken);
                }

                return changed;
            }

            // SQLite runs in-process: one prepared statement, rebound per counter, is the fastest path.
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = sql;
            foreach (var counter in ordered)
            {
                insert.Parameters.Clear();
                Bind(insert.Parameters, counter, now);
                changed += await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            return changed;
        }, cancellationToken);
    }

    static void Bind(System.Data.Common.DbParameterCollection parameters, UsageCounter counter, long now)
    {
        void Add(string name, object value)
        {
            parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter(name, value));
        }

        Add("a", counter.AccountId);
        Add("h", UnixTime.Of(counter.Hour));
        Add("p", counter.ProductId);
        Add("s", counter.StatusClass);
        Add("m", counter.Measure);
        Add("v", counter.Value);
        Add("now", now);
    }

    const int StatementRows = 1000;

    /// <summary>Ledger rows of one account (or every account) between two moments.</summary>
    public async Task<IReadOnlyList<UsageCounter>> RowsAsync(string? accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        (await db.QueryAsync<LedgerRow>("""
            SELECT account_id, hour, product_id, status_class, measure, value FROM usage_ledger
            WHERE (@accountId IS NULL OR account_id = @accountId) AND hour >= @from AND hour < @to
            """, new { accountId, from = UnixTime.Of(from), to = UnixTime.Of(to) }, cancellationToken))
        .Select(r => new UsageCounter(r.AccountId, UnixTime.At(r.Hour), r.ProductId, r.StatusClass, r.Measure, r.Value))
        .ToList();

    /// <summary>Usage of one account summed into buckets: by hour, by day in Vietnam, by product or by status class.</summary>
    public async Task<IReadOnlyList<UsageBucket>> SummaryAsync(
        string accountId, DateTimeOffset from, DateTimeOffset to, UsageGrouping grouping, CancellationToken cancellationToken)
    {
        // Days are Vietnam's (UTC+7 all year): shifting the hour by 7 h before the integer division groups by local date.
        var key = grouping switch
        {
            UsageGrouping.Hour => "CAST(hour AS TEXT)",
            UsageGrouping.Day => "CAST((hour + 25200) / 86400 AS TEXT)",
            UsageGrouping.Product => "product_id",
            _ => "status_class",
        };
        var rows = await db.QueryAsync<BucketRow>($"""
            SELECT {key} AS bucket,
                CAST(SUM(CASE WHEN measure = 'requests' THEN value ELSE 0 END) AS BIGINT) AS requests,
                CAST(SUM(CASE WHEN measure = 'bytes' THEN value ELSE 0 END) AS BIGINT) AS bytes
            FROM usage_ledger
            WHERE account_id = @accountId AND hour >= @from AND hour < @to
            GROUP BY {key}
            ORDER BY {key}
            """, new { accountId, from = UnixTime.Of(from), to = UnixTime.Of(to) }, cancellationToken);
        return rows.Select(r => new UsageBucket(Label(r.Bucket, grouping), r.Requests, r.Bytes))
            .OrderBy(b => b.Bucket, StringComparer.Ordinal).ToList();
    }

    static string Label(string bucket, UsageGrouping grouping) => grouping switch
    {
        UsageGrouping.Hour => UnixTime.At(long.Parse(bucket, CultureInfo.InvariantCulture)).ToString("yyyy-MM-ddTHH:00:00Z", CultureInfo.InvariantCulture),
        UsageGrouping.Day => DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + int.Parse(bucket, CultureInfo.InvariantCulture))
            .ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        _ => bucket,
    };

    sealed class BucketRow
    {
        public string Bucket { get; set; } = "";
        public long Requests { get; set; }
        public long Bytes { get; set; }
    }
}

enum UsageGrouping
{
    Hour,
    Day,
    Product,
    Status,
}

/// <summary>Requests and bytes in one bucket of a usage report.</summary>
sealed record UsageBucket(string Bucket, long Requests, long Bytes);
