using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Catalog.Query;
using DataPlatform.Catalog.Tests.GraphQL;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// A query that runs past the statement timeout is stopped on the database and answered with a clear error by
/// both front doors. The dataset is a view whose <c>slow</c> column takes a fraction of a second per row to compute
/// (a sleeping function on PostgreSQL, a counting recursive query on SQLite), so a query that reads it for every
/// row runs for many seconds, while one that does not read it is immediate.
/// </summary>
public abstract class StatementTimeoutTests(PlatformFixture platform)
{
    const int TimeoutSeconds = 2;

    [Fact]
    public async Task A_query_past_the_statement_timeout_is_stopped_and_answered_with_an_OData_error()
    {
        var dataset = await SlowViewAsync();
        await using var catalog = await StartAsync(dataset);
        using var client = catalog.Client();

        using var response = await client.GetAsync($"/odata/{dataset.Id}/Records?$filter=slow gt 1000000&$select=code");
        var quick = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$select=code&$top=3");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("TimeoutLimitExceeded", error.GetProperty("code").GetString());
        Assert.Contains($"statement timeout of {TimeoutSeconds} s", error.GetProperty("message").GetString());
        Assert.Equal(["r1", "r2", "r3"], quick.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
        await AssertNothingStillRunsAsync(dataset);
    }

    [Fact]
    public async Task A_query_past_the_statement_timeout_is_a_GraphQL_error_with_its_code()
    {
        var dataset = await SlowViewAsync();
        await using var catalog = await StartAsync(dataset);
        using var client = catalog.Client();
        var field = dataset.Id.Replace('-', '_');

        var (status, body, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field}(where: {{ slow: {{ gt: 1000000 }} }}) {{ nodes {{ code }} }} }}");

        Assert.Equal(HttpStatusCode.OK, status);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal("TIMEOUT_LIMIT", error.GetProperty("extensions").GetProperty("code").GetString());
        Assert.Equal(field, error.GetProperty("path")[0].GetString());
        await AssertNothingStillRunsAsync(dataset);
    }

    [Fact]
    public async Task A_GraphQL_aggregate_computes_only_the_aggregates_the_document_selects()
    {
        var dataset = await SlowViewAsync();
        await using var catalog = await StartAsync(dataset);
        using var client = catalog.Client();
        var field = dataset.Id.Replace('-', '_');

        // Reading only the count and the code's maximum never computes the slow column; asking for its maximum does.
        var (_, cheap, _) = await GraphQLEndpointTests.PostAsync(client,
            $"{{ {field} {{ aggregate {{ ...counts }} }} }} fragment counts on {TypeName(dataset)}Group {{ count max {{ code }} }}");
        var (_, costly, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field} {{ aggregate {{ count max {{ slow }} }} }} }}");

        Assert.False(cheap.TryGetProperty("errors", out var errors), errors.ToString());
        var group = Assert.Single(cheap.GetProperty("data").GetProperty(field).GetProperty("aggregate").EnumerateArray());
        Assert.Equal(Rows, group.GetProperty("count").GetInt64());
        Assert.Equal("r99", group.GetProperty("max").GetProperty("code").GetString());
        Assert.Equal("TIMEOUT_LIMIT", costly.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
    }

    const int Rows = 100;

    Task<CatalogWithDatasets> StartAsync(QueryableDataset dataset) =>
        CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset), new Dictionary<string, string?>
        {
            ["Catalog:Query:StatementTimeoutSeconds"] = TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    static string TypeName(QueryableDataset dataset) =>
        string.Concat(dataset.Id.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    /// <summary>A view of <see cref="Rows"/> rows (code r1…r100) whose slow column takes long to compute for every row.</summary>
    async Task<QueryableDataset> SlowViewAsync()
    {
        var database = PeopleTable.Database(platform);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var view = "slow_view_" + suffix;
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        var statements = database.Provider == DatabaseProvider.PostgreSql
            ? new[]
            {
                // Declared stable (it only sleeps), so PostgreSQL leaves the column out of queries that do not read it.
                $"CREATE FUNCTION slow_value_{suffix}(bigint) RETURNS bigint LANGUAGE plpgsql STABLE AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN $1; END $$",
                $"CREATE VIEW \"{view}\" AS SELECT x::bigint AS \"_row\", 'r' || x AS c_code, slow_value_{suffix}(x::bigint) AS c_slow FROM generate_series(1, {Rows}) AS x",
            }
            : new[]
            {
                $"CREATE VIEW \"{view}\" AS WITH RECURSIVE base(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM base WHERE x < {Rows}) " +
                "SELECT x AS \"_row\", 'r' || x AS c_code, " +
                "(WITH RECURSIVE n(y) AS (SELECT base.x UNION ALL SELECT y + 1 FROM n WHERE y < base.x + 3000000) SELECT count(*) FROM n) AS c_slow FROM base",
            };
        foreach (var statement in statements)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync();
        }

        return new QueryableDataset("slow-" + suffix, "Chậm", AccessLevel.Open, view, 1, Rows,
        [
            new QueryableColumn("code", "c_code", ColumnType.String, Nullable: false, Key: true),
            new QueryableColumn("slow", "c_slow", ColumnType.Integer, Nullable: false),
        ]);
    }

    /// <summary>On PostgreSQL the server itself must have stopped the statement, not only the client stopped waiting.</summary>
    async Task AssertNothingStillRunsAsync(QueryableDataset dataset)
    {
        var database = PeopleTable.Database(platform);
        if (database.Provider != DatabaseProvider.PostgreSql)
        {
            return;
        }

        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        long running = -1;
        // A cancelled backend reports idle within moments; the loop only allows for a loaded machine.
        for (var attempt = 0; attempt < 50 && running != 0; attempt++)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%' || @view || '%' AND pid <> pg_backend_pid()";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "view";
            parameter.Value = dataset.TableName;
            command.Parameters.Add(parameter);
            running = Convert.ToInt64(await command.ExecuteScalarAsync());
            if (running != 0)
            {
                await Task.Delay(200);
            }
        }

        Assert.Equal(0, running);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class StatementTimeoutTests_Embedded(CatalogEmbeddedFixture platform) : StatementTimeoutTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class StatementTimeoutTests_Production(CatalogProductionFixture platform) : StatementTimeoutTests(platform);
