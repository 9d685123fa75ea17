using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// On PostgreSQL the query core keeps a statement prepared on a connection once it has run there a few times
/// (<see cref="QueryOptions.PreparedStatements"/>). A prepared statement must not outlive what it was prepared for:
/// when its table changes shape it is answered afresh, and the statement timeout stops it like any other. Each test
/// repeats a query more often than Npgsql needs to prepare it (5 runs), one request at a time, so that the pool
/// hands the same connection back each time. On SQLite the same requests must simply give the same answers.
/// </summary>
public abstract class PreparedStatementTests(PlatformFixture platform)
{
    const int Repeats = 8;

    [Fact]
    public async Task A_query_prepared_before_its_table_changed_column_types_answers_from_the_new_table()
    {
        var database = PeopleTable.Database(platform);
        var table = "shape_" + Guid.NewGuid().ToString("N")[..10];
        await RunAsync(database, $"CREATE TABLE \"{table}\" (\"_row\" bigint PRIMARY KEY, c_code text NOT NULL, c_value bigint)",
            $"INSERT INTO \"{table}\" VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)");
        var numbers = Dataset(table, ColumnType.Integer);
        // The same table and columns, so the same SQL text, now with text values: another dataset id stands for the
        // dataset as a later publish describes it.
        var words = Dataset(table, ColumnType.String);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(numbers, words));
        using var client = catalog.Client();
        const string query = "/Records?$select=code,value&$orderby=code";

        for (var i = 0; i < Repeats; i++)
        {
            var before = await client.GetFromJsonAsync<JsonElement>($"/odata/{numbers.Id}{query}");
            Assert.Equal([10, 20, 30], before.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("value").GetInt64()));
        }

        await RunAsync(database, $"DROP TABLE \"{table}\"",
            $"CREATE TABLE \"{table}\" (\"_row\" bigint PRIMARY KEY, c_code text NOT NULL, c_value text)",
            $"INSERT INTO \"{table}\" VALUES (1, 'a', 'một'), (2, 'b', 'hai'), (3, 'c', 'ba')");
        var answers = new List<HttpStatusCode>();
        JsonElement after = default;
        for (var i = 0; i < Repeats; i++)
        {
            using var response = await client.GetAsync($"/odata/{words.Id}{query}");
            answers.Add(response.StatusCode);
            after = await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(["một", "hai", "ba"], after.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("value").GetString()));
    }

    [Fact]
    public async Task A_prepared_query_that_runs_past_the_statement_timeout_is_still_stopped()
    {
        var dataset = await DelayViewAsync();
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset), new Dictionary<string, string?>
        {
            ["Catalog:Query:StatementTimeoutSeconds"] = "2",
        });
        using var client = catalog.Client();

        // One SQL text throughout: the delay bound is a parameter. Up to 0 only the instant row computes its slow
        // value; up to 10 the row that takes ten seconds does too.
        for (var i = 0; i < Repeats; i++)
        {
            var quick = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$filter=delay le 0 and slow ge 0&$select=code");
            Assert.Equal(["instant"], quick.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
        }

        using var response = await client.GetAsync($"/odata/{dataset.Id}/Records?$filter=delay le 10 and slow ge 0&$select=code");
        var afterwards = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$filter=delay le 0 and slow ge 0&$select=code");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("TimeoutLimitExceeded", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(["instant"], afterwards.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
    }

    static QueryableDataset Dataset(string table, ColumnType valueType) =>
        new("shape-" + Guid.NewGuid().ToString("N")[..10], "Hình dạng", AccessLevel.Open, table, 1, 3,
        [
            new QueryableColumn("code", "c_code", ColumnType.String, Nullable: false, Key: true),
            new QueryableColumn("value", "c_value", valueType),
        ]);

    /// <summary>Two rows, "instant" (delay 0) and "slow" (delay 10), whose slow column takes their delay in seconds to compute.</summary>
    async Task<QueryableDataset> DelayViewAsync()
    {
        var database = PeopleTable.Database(platform);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var view = "delay_view_" + suffix;
        var rows = "SELECT 1 AS x, 'instant' AS code, 0 AS delay UNION ALL SELECT 2, 'slow', 10";
        if (database.Provider == DatabaseProvider.PostgreSql)
        {
            await RunAsync(database,
                $"CREATE FUNCTION delay_value_{suffix}(bigint) RETURNS bigint LANGUAGE plpgsql STABLE AS $$ BEGIN PERFORM pg_sleep($1); RETURN $1; END $$",
                $"CREATE VIEW \"{view}\" AS SELECT x::bigint AS \"_row\", code AS c_code, delay::bigint AS c_delay, delay_value_{suffix}(delay::bigint) AS c_slow FROM ({rows}) AS base");
        }
        else
        {
            // About three million recursion steps take a second or more here; ten seconds' worth is far past the timeout.
            await RunAsync(database,
                $"CREATE VIEW \"{view}\" AS SELECT x AS \"_row\", code AS c_code, delay AS c_delay, " +
                "(WITH RECURSIVE n(y) AS (SELECT 0 UNION ALL SELECT y + 1 FROM n WHERE y < base.delay * 3000000) SELECT count(*) FROM n) AS c_slow " +
                $"FROM ({rows}) AS base");
        }

        return new QueryableDataset("delay-" + suffix, "Trễ", AccessLevel.Open, view, 1, 2,
        [
            new QueryableColumn("code", "c_code", ColumnType.String, Nullable: false, Key: true),
            new QueryableColumn("delay", "c_delay", ColumnType.Integer, Nullable: false),
            new QueryableColumn("slow", "c_slow", ColumnType.Integer, Nullable: false),
        ]);
    }

    static async Task RunAsync(PlatformDatabase database, params string[] statements)
    {
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        foreach (var statement in statements)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync();
        }
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PreparedStatementTests_Embedded(CatalogEmbeddedFixture platform) : PreparedStatementTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PreparedStatementTests_Production(CatalogProductionFixture platform) : PreparedStatementTests(platform);
