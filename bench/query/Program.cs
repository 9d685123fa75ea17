using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using DataPlatform.Catalog;
using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.Access;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

// Usage: dotnet run -c Release --project bench/query -- "<PostgreSQL connection string>" [iterations] [case prefix, e.g. "(b)"]
// Loads a 1,000,000-row dataset table into PostgreSQL, starts the catalog on it, and times each query through the
// catalog's HTTP endpoint and as the equivalent SQL run directly with Npgsql, interleaved, reporting p50 and p95.
var connectionString = args.Length > 0 ? args[0] : throw new ArgumentException("Pass a PostgreSQL connection string.");
var iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var only = args.Length > 2 ? args[2] : "";
const string table = "ds_bench_people_v1";
const int rows = 1_000_000;

await using (var setup = new NpgsqlConnection(connectionString))
{
    await setup.OpenAsync();
    await Execute(setup, "CREATE SCHEMA IF NOT EXISTS catalog");
    await Execute(setup, $"DROP TABLE IF EXISTS catalog.{table}");
    await Execute(setup, $"""
        CREATE TABLE catalog.{table} (_row bigint PRIMARY KEY, code text NOT NULL, name text, province text, age bigint, income numeric, born date, active boolean)
        """);
    var watch = Stopwatch.StartNew();
    await Execute(setup, $"""
        INSERT INTO catalog.{table}
        SELECT i, 'P' || i,
               (ARRAY['Nguyễn','Trần','Lê','Phạm','Hoàng','Đặng'])[1 + i % 6] || ' ' || (ARRAY['Văn','Thị','Đức','Minh'])[1 + i % 4] || ' ' || (ARRAY['An','Bình','Cường','Hà','Đào'])[1 + i % 5],
               'Tỉnh ' || (i * 7919 % 63),
               18 + i * 31 % 73,
               (i * 104729 % 10000000) / 100.0,
               DATE '1950-01-01' + CAST(i * 37 % 20000 AS integer),
               i % 3 = 0
        FROM generate_series(1::bigint, {rows}) AS i
        """);
    await Execute(setup, $"CREATE INDEX ON catalog.{table} (province, _row)");
    await Execute(setup, $"ANALYZE catalog.{table}");
    Console.WriteLine($"Loaded {rows:N0} rows in {watch.Elapsed.TotalSeconds:F1} s");
}

var columns = new QueryableColumn[]
{
    new("code", "code", ColumnType.String, Nullable: false, Key: true),
    new("name", "name", ColumnType.String),
    new("province", "province", ColumnType.String),
    new("age", "age", ColumnType.Integer),
    new("income", "income", ColumnType.Decimal),
    new("born", "born", ColumnType.Date),
    new("active", "active", ColumnType.Boolean),
};
var dataset = new QueryableDataset("bench-people", "Benchmark people", AccessLevel.Open, table, 1, rows, columns);

var app = CatalogHost.Build([], builder =>
{
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["DataPlatform:Database"] = connectionString,
        ["DataPlatform:CatalogUrl"] = "http://127.0.0.1:0",
        ["DataPlatform:DataDirectory"] = Path.Combine(Path.GetTempPath(), "dataplatform-bench-query"),
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    });
    builder.Services.AddSingleton<IQueryableDatasetSource>(new BenchSource(dataset));
});
await app.StartAsync();
var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
using var http = new HttpClient { BaseAddress = new Uri(url) };
await using var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = "catalog" }.ConnectionString);
// An extra, labelled column: the same SQL through a pool set up as the catalog's query pool is (QueryConnections:
// statements prepared after a few runs on a connection and planned for each run's values, no DISCARD ALL on
// return). The target is judged against the plain client above, "the same SQL run directly with Npgsql"; this one
// shows what is left once both sides skip parsing and the reset.
await using var preparedSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
{
    SearchPath = "catalog",
    NoResetOnClose = true,
    MaxAutoPrepare = new QueryOptions().PreparedStatements,
    Options = "-c plan_cache_mode=force_custom_plan",
}.ConnectionString);

// The nextLink token of a page that starts after row 900,000 in load order: base64url of [900000].
var deepToken = Convert.ToBase64String(Encoding.UTF8.GetBytes("[900000]")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
var select = "\"code\", \"name\", \"province\", \"age\", \"income\", \"born\", \"active\", \"_row\"";

var cases = new (string Name, Func<Task> Endpoint, Func<NpgsqlDataSource, Task> Sql)[]
{
    ("(a) filter + top 100 (OData)",
        () => Get("/odata/bench-people/Records?$filter=province eq 'Tỉnh 7' and age gt 30&$top=100"),
        on => Sql(on, $"SELECT {select} FROM {table} WHERE province = @p0 AND age > @p1 ORDER BY _row LIMIT 100", "Tỉnh 7", 30L)),
    ("(a) filter + first 100 (GraphQL)",
        () => Post("{ bench_people(where: { province: { eq: \"Tỉnh 7\" }, age: { gt: 30 } }, first: 100) { nodes { code name province age income born active } } }"),
        on => Sql(on, $"SELECT {select} FROM {table} WHERE province = @p0 AND age > @p1 ORDER BY _row LIMIT 100", "Tỉnh 7", 30L)),
    ("(b) page at row 900,000 via nextLink (OData, 1000 rows)",
        () => Get($"/odata/bench-people/Records?$skiptoken={deepToken}"),
        on => Sql(on, $"SELECT {select} FROM {table} WHERE _row > @p0 ORDER BY _row LIMIT 1000", 900_000L)),
    ("(c) groupby province with sum (OData)",
        () => Get("/odata/bench-people/Records?$apply=groupby((province),aggregate(income with sum as total))"),
        on => Sql(on, $"SELECT province, SUM(income) FROM {table} GROUP BY province ORDER BY province")),
    ("(c) aggregate by province with sum (GraphQL)",
        () => Post("{ bench_people { aggregate(groupBy: [province]) { key { province } sum { income } } } }"),
        on => Sql(on, $"SELECT province, SUM(income) FROM {table} GROUP BY province ORDER BY province")),
    ("(d) $count, unfiltered (stored row count)",
        () => Get("/odata/bench-people/Records/$count"),
        on => Sql(on, $"SELECT COUNT(*) FROM {table}")),
    ("(d) $count, filtered",
        () => Get("/odata/bench-people/Records/$count?$filter=province eq 'Tỉnh 7'"),
        on => Sql(on, $"SELECT COUNT(*) FROM {table} WHERE province = @p0", "Tỉnh 7")),
};

Console.WriteLine($"{iterations} iterations per case ((c): {Math.Max(10, iterations / 5)}), interleaved, after a warm-up until the JIT is quiet; times in ms.");
Console.WriteLine("| query | endpoint p50 | SQL p50 | ratio p50 | SQL prepared p50 | ratio to prepared | endpoint p95 | SQL p95 | warm-up s |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
foreach (var (name, endpoint, sql) in cases.Where(c => c.Name.StartsWith(only, StringComparison.Ordinal)))
{
    // The runtime compiles each method up to three times (quick, instrumented, optimized) in the background over its
    // first seconds of traffic, so a fixed handful of warm-up runs timed the compiler competing for the machine's
    // two cores, and the endpoint, with far more code than the raw reader, paid most of it. Both sides run until a
    // half-second stretch compiles almost nothing, as in a catalog that has served traffic for a minute.
    var warmUp = Stopwatch.StartNew();
    for (var quiet = false; !quiet && warmUp.Elapsed < TimeSpan.FromSeconds(60);)
    {
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var stretch = Stopwatch.StartNew();
        for (var i = 0; i < 20 || stretch.Elapsed < TimeSpan.FromSeconds(0.5); i++)
        {
            await endpoint();
            await sql(source);
            await sql(preparedSource);
        }

        quiet = System.Runtime.JitInfo.GetCompiledMethodCount() - compiled < 5;
    }

    var endpointTimes = new List<double>();
    var sqlTimes = new List<double>();
    var preparedTimes = new List<double>();
    // The aggregations take a third of a second each; a fifth of the runs gives a stable median in reasonable time.
    var runs = name.StartsWith("(c)", StringComparison.Ordinal) ? Math.Max(10, iterations / 5) : iterations;
    for (var i = 0; i < runs; i++)
    {
        endpointTimes.Add(await Time(endpoint));
        sqlTimes.Add(await Time(() => sql(source)));
        preparedTimes.Add(await Time(() => sql(preparedSource)));
    }

    var (e50, s50, p50) = (Percentile(endpointTimes, 0.5), Percentile(sqlTimes, 0.5), Percentile(preparedTimes, 0.5));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {e50:F2} | {s50:F2} | {e50 / s50:F2}× | {p50:F2} | {e50 / p50:F2}× | {Percentile(endpointTimes, 0.95):F2} | {Percentile(sqlTimes, 0.95):F2} | {warmUp.Elapsed.TotalSeconds:F0} |"));
}

// The floor: the service document goes through the same host, middleware and HTTP client but reads no rows, so
// its median is what any endpoint pays before its first query on this machine.
var floor = new List<double>();
for (var i = 0; i < iterations; i++)
{
    floor.Add(await Time(() => Get("/odata/bench-people/")));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"HTTP floor (service document, no query): p50 {Percentile(floor, 0.5):F2} ms, p95 {Percentile(floor, 0.95):F2} ms"));

await app.StopAsync();
await using (var cleanup = new NpgsqlConnection(connectionString))
{
    await cleanup.OpenAsync();
    await Execute(cleanup, $"DROP TABLE catalog.{table}");
}

async Task Get(string path)
{
    using var response = await http.GetAsync(path);
    response.EnsureSuccessStatusCode();
    await response.Content.ReadAsByteArrayAsync();
}

async Task Post(string query)
{
    using var response = await http.PostAsJsonAsync("/graphql", new { query });
    response.EnsureSuccessStatusCode();
    var body = await response.Content.ReadAsStringAsync();
    if (body.Contains("\"errors\"", StringComparison.Ordinal))
    {
        throw new InvalidOperationException(body);
    }
}

// The raw side reads every value, as the endpoint must, but does not serialize it.
async Task Sql(NpgsqlDataSource on, string text, params object[] parameters)
{
    await using var command = on.CreateCommand(text);
    for (var i = 0; i < parameters.Length; i++)
    {
        command.Parameters.AddWithValue("p" + i, parameters[i]);
    }

    await using var reader = await command.ExecuteReaderAsync();
    var values = new object[reader.FieldCount];
    while (await reader.ReadAsync())
    {
        reader.GetValues(values);
    }
}

static async Task<double> Time(Func<Task> run)
{
    var start = Stopwatch.GetTimestamp();
    await run();
    return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
}

static async Task Execute(NpgsqlConnection connection, string sql)
{
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
    await command.ExecuteNonQueryAsync();
}

sealed class BenchSource(QueryableDataset dataset) : IQueryableDatasetSource
{
    public ValueTask<QueryableDataset?> FindAsync(string datasetId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(datasetId == dataset.Id ? dataset : null);

    public ValueTask<IReadOnlyList<QueryableDataset>> ListAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<QueryableDataset>>([dataset]);
}
