using System.Diagnostics;
using System.Globalization;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Usage;
using DataPlatform.Contracts.Redis;
using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.Redis;
using DataPlatform.ServiceDefaults.Storage;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;

// Billing's two benchmarks, each against a baseline measured in the same run:
//   1. harvest throughput: counters per second read from Redis into the ledger, against reading the same hashes
//      from Redis alone (the floor any harvester pays), first pass (rows inserted) and second pass (nothing changes);
//   2. usage-query latency: the account usage report by day over 30 days, with 10,000 accounts × 30 days of ledger
//      rows, against a bare primary-key range count over the same rows.
// Arguments: --redis host:port (default: embedded Garnet) --postgres "connection string" (default: SQLite)
//            --consumers N --hours H (harvest) --accounts N --days D --active-hours A (query) --queries Q
var arguments = args.Select((value, index) => (value, index)).Where(p => p.value.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.value[2..], p => p.index + 1 < args.Length ? args[p.index + 1] : "");
int Int(string name, int fallback) => arguments.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

var consumers = Int("consumers", 2_000);
var harvestHours = Int("hours", 6);
var accounts = Int("accounts", 10_000);
var days = Int("days", 30);
var activeHours = Int("active-hours", 8);
var queries = Int("queries", 500);

var directory = Path.Combine(Path.GetTempPath(), "dataplatform-billing-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(directory);
using var garnet = arguments.ContainsKey("redis") ? null : EmbeddedRedisServer.Start(null);
var redisAddress = arguments.GetValueOrDefault("redis") ?? garnet!.ConnectionString;
using var redis = await ConnectionMultiplexer.ConnectAsync(redisAddress + ",allowAdmin=true,syncTimeout=30000,asyncTimeout=30000");
var postgres = arguments.GetValueOrDefault("postgres");
string? benchDatabase = null;
if (postgres is not null)
{
    benchDatabase = "billing_bench_" + Guid.NewGuid().ToString("N")[..8];
    await using var admin = new NpgsqlConnection(postgres);
    await admin.OpenAsync();
    await new NpgsqlCommand($"CREATE DATABASE {benchDatabase}", admin).ExecuteNonQueryAsync();
    postgres = new NpgsqlConnectionStringBuilder(postgres) { Database = benchDatabase }.ConnectionString;
}

var options = new PlatformOptions { DataDirectory = directory, Database = postgres };
await using var database = PlatformDatabase.Create(options, "billing");
await SchemaMigrator.ApplyAsync(database, BillingMigrations.All.ToList(), CancellationToken.None);
var db = new BillingDb(database);
var ledger = new UsageLedger(db, redis, TimeProvider.System);
Console.WriteLine($"Backend: {(postgres is null ? "SQLite" : "PostgreSQL")} + {(garnet is null ? "Redis at " + redisAddress : "embedded Garnet")}, {Environment.ProcessorCount} cores");

// 1. Harvest throughput.
var first = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
var redisDb = redis.GetDatabase();
var random = new Random(42);
string[] statuses = ["2xx", "4xx"];
string?[] products = [null, "hr-analytics"];
var counterCount = 0;
for (var h = 0; h < harvestHours; h++)
{
    var hour = first.AddHours(h);
    var batch = redisDb.CreateBatch();
    var writes = new List<Task>();
    for (var c = 0; c < consumers; c++)
    {
        var consumer = $"acct_bench_{c:D5}";
        writes.Add(batch.SetAddAsync(RedisKeys.UsageIndex(hour), consumer));
        foreach (var product in products)
        {
            foreach (var status in statuses)
            {
                writes.Add(batch.HashSetAsync(RedisKeys.Usage(consumer, hour),
                [
                    new HashEntry(UsageField.Requests(product, status), random.Next(1, 100_000)),
                    new HashEntry(UsageField.Bytes(product, status), random.NextInt64(1, 100_000_000)),
                ]));
                counterCount += 2;
            }
        }
    }

    batch.Execute();
    await Task.WhenAll(writes);
}

var last = first.AddHours(harvestHours - 1);
var watch = Stopwatch.StartNew();
var read = 0;
for (var h = 0; h < harvestHours; h++)
{
    read += (await ledger.ReadCountersAsync(first.AddHours(h), null, CancellationToken.None)).Count;
}

var readOnly = watch.Elapsed;
watch.Restart();
var firstPass = await ledger.HarvestAsync(first, last, CancellationToken.None);
var firstElapsed = watch.Elapsed;
watch.Restart();
var secondPass = await ledger.HarvestAsync(first, last, CancellationToken.None);
var secondElapsed = watch.Elapsed;
Console.WriteLine($"Harvest: {counterCount:N0} counters ({consumers:N0} consumers × {harvestHours} hours × 8 fields)");
Console.WriteLine($"  baseline, Redis reads only      {read / readOnly.TotalSeconds,12:N0} counters/s  ({readOnly.TotalSeconds:N2} s)");
Console.WriteLine($"  first harvest (rows inserted)   {firstPass.Counters / firstElapsed.TotalSeconds,12:N0} counters/s  ({firstElapsed.TotalSeconds:N2} s, {firstPass.RowsChanged:N0} rows)");
Console.WriteLine($"  repeat harvest (nothing grows)  {secondPass.Counters / secondElapsed.TotalSeconds,12:N0} counters/s  ({secondElapsed.TotalSeconds:N2} s, {secondPass.RowsChanged:N0} rows)");

// 2. Usage-query latency over accounts × days × active hours × (requests, bytes).
var start = new DateTimeOffset(2026, 8, 31, 17, 0, 0, TimeSpan.Zero);
watch.Restart();
var rows = await LoadLedgerAsync(db, database, accounts, days, activeHours, start);
Console.WriteLine($"Usage query: {rows:N0} ledger rows ({accounts:N0} accounts × {days} days × {activeHours} active hours × 2 measures), loaded in {watch.Elapsed.TotalSeconds:N1} s");

await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
var end = start.AddDays(days);
var baseline = new List<double>();
var report = new List<double>();
for (var i = 0; i < queries; i++)
{
    var account = $"acct_q_{random.Next(accounts):D5}";
    watch.Restart();
    await using (var count = connection.CreateCommand())
    {
        count.CommandText = "SELECT COUNT(*) FROM usage_ledger WHERE account_id = @a AND hour >= @f AND hour < @t";
        Add(count, "a", account);
        Add(count, "f", start.ToUnixTimeSeconds());
        Add(count, "t", end.ToUnixTimeSeconds());
        await count.ExecuteScalarAsync();
    }

    baseline.Add(watch.Elapsed.TotalMilliseconds);
    watch.Restart();
    var buckets = await ledger.SummaryAsync(account, start, end, UsageGrouping.Day, CancellationToken.None);
    report.Add(watch.Elapsed.TotalMilliseconds);
    if (buckets.Count != days)
    {
        throw new InvalidOperationException($"{account} has {buckets.Count} days of usage, not {days}.");
    }
}

Console.WriteLine($"  baseline, key-range COUNT(*)    p50 {Percentile(baseline, 50),7:N2} ms  p99 {Percentile(baseline, 99),7:N2} ms");
Console.WriteLine($"  usage by day, 30 days           p50 {Percentile(report, 50),7:N2} ms  p99 {Percentile(report, 99),7:N2} ms  ({queries} queries)");

await redis.GetServers()[0].FlushDatabaseAsync();
NpgsqlConnection.ClearAllPools();
Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
if (benchDatabase is not null)
{
    await using var admin = new NpgsqlConnection(arguments["postgres"]);
    await admin.OpenAsync();
    await new NpgsqlCommand($"DROP DATABASE {benchDatabase} WITH (FORCE)", admin).ExecuteNonQueryAsync();
}

Directory.Delete(directory, recursive: true);

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
}

static void Add(System.Data.Common.DbCommand command, string name, object value)
{
    var parameter = command.CreateParameter();
    parameter.ParameterName = name;
    parameter.Value = value;
    command.Parameters.Add(parameter);
}

static async Task<long> LoadLedgerAsync(BillingDb db, PlatformDatabase database, int accounts, int days, int activeHours, DateTimeOffset start)
{
    var random = new Random(7);
    IEnumerable<(string Account, long Hour, string Measure, long Value)> Rows()
    {
        for (var a = 0; a < accounts; a++)
        {
            var account = $"acct_q_{a:D5}";
            for (var d = 0; d < days; d++)
            {
                for (var h = 0; h < activeHours; h++)
                {
                    var hour = start.AddDays(d).AddHours(8 + h).ToUnixTimeSeconds();
                    yield return (account, hour, "requests", random.Next(1, 10_000));
                    yield return (account, hour, "bytes", random.NextInt64(1, 50_000_000));
                }
            }
        }
    }

    long count = 0;
    if (database.PostgresDataSource is { } source)
    {
        await using var connection = await source.OpenConnectionAsync();
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY usage_ledger (account_id, hour, product_id, status_class, measure, value, harvested_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in Rows())
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(row.Account, NpgsqlDbType.Text);
                await writer.WriteAsync(row.Hour, NpgsqlDbType.Bigint);
                await writer.WriteAsync("-", NpgsqlDbType.Text);
                await writer.WriteAsync("2xx", NpgsqlDbType.Text);
                await writer.WriteAsync(row.Measure, NpgsqlDbType.Text);
                await writer.WriteAsync(row.Value, NpgsqlDbType.Bigint);
                await writer.WriteAsync(0L, NpgsqlDbType.Bigint);
                count++;
            }

            await writer.CompleteAsync();
        }

        await using var analyze = new NpgsqlCommand("ANALYZE usage_ledger", connection);
        await analyze.ExecuteNonQueryAsync();
        return count;
    }

    foreach (var chunk in Rows().Chunk(200_000))
    {
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO usage_ledger VALUES (@a, @h, '-', '2xx', @m, @v, 0)";
            var a = insert.CreateParameter(); a.ParameterName = "a"; insert.Parameters.Add(a);
            var h = insert.CreateParameter(); h.ParameterName = "h"; insert.Parameters.Add(h);
            var m = insert.CreateParameter(); m.ParameterName = "m"; insert.Parameters.Add(m);
            var v = insert.CreateParameter(); v.ParameterName = "v"; insert.Parameters.Add(v);
            insert.Prepare();
            foreach (var row in chunk)
            {
                a.Value = row.Account;
                h.Value = row.Hour;
                m.Value = row.Measure;
                v.Value = row.Value;
                await insert.ExecuteNonQueryAsync();
            }

            return true;
        }, CancellationToken.None);
        count += chunk.Length;
    }

    await using var connection2 = await database.OpenConnectionAsync(CancellationToken.None);
    await using var analyzeSqlite = connection2.CreateCommand();
    analyzeSqlite.CommandText = "ANALYZE";
    await analyzeSqlite.ExecuteNonQueryAsync();
    return count;
}
