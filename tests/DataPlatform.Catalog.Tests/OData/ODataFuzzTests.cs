using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DataPlatform.Catalog.Query;
using DataPlatform.Catalog.Tests.Query;

namespace DataPlatform.Catalog.Tests.OData;

/// <summary>
/// Thousands of generated and mutated OData requests: every one is answered with a 4xx in the OData error format
/// or a well-formed 200, never a 5xx; and SQL injection through every query option returns only legitimate rows
/// and leaves the table untouched.
/// </summary>
public abstract class ODataFuzzTests(PlatformFixture platform)
{
    static readonly string[] _columns = ["code", "name", "province", "age", "income", "active", "born", "registered", "name", "age", "born", "citizen_id", "nowhere", "_row"];
    static readonly string[] _literals =
    [
        "'Hà Nội'", "'Nguyễn'", "''", "'x'' OR 1=1 --'", "null", "true", "false", "0", "-1", "42", "2147483648", "9223372036854775807",
        "99999999999999999999999", "3.14", "1e308", "-0.5", "1986-03-15", "2024-03-15T08:30:00Z", "2024-13-45", "'%'", "'_'", "'\\'", "duration'P1D'",
    ];
    static readonly string[] _operators = ["eq", "ne", "gt", "ge", "lt", "le", "add", "sub", "mul", "div", "mod", "and", "or", "has", "in"];
    static readonly string[] _functions = ["contains", "startswith", "endswith", "tolower", "toupper", "trim", "length", "indexof", "substring", "concat", "year", "month", "day", "date", "round", "cast", "isof", "now"];
    static readonly string[] _payloads =
    [
        "' OR 1=1 --", "'; DROP TABLE people; --", "\" OR \"\"=\"", "1); DELETE FROM people; --", "Robert'); DROP TABLE Students;--",
        "' UNION SELECT name FROM sqlite_master --", "' UNION SELECT tablename FROM pg_tables --", "\\'; SELECT pg_sleep(10); --", "$(rm -rf /)", "%27%20OR%201%3D1",
    ];

    static string Expression(Random random, int depth)
    {
        var pick = depth > 3 ? random.Next(3) : random.Next(8);
        return pick switch
        {
            0 => _columns[random.Next(_columns.Length)],
            1 => _literals[random.Next(_literals.Length)],
            2 => $"{_columns[random.Next(_columns.Length)]} {_operators[random.Next(6)]} {_literals[random.Next(_literals.Length)]}",
            3 => $"({Expression(random, depth + 1)}) {_operators[random.Next(_operators.Length)]} ({Expression(random, depth + 1)})",
            4 => $"not ({Expression(random, depth + 1)})",
            5 => $"{_functions[random.Next(_functions.Length)]}({string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => Expression(random, depth + 1)))})",
            6 => $"{_columns[random.Next(_columns.Length)]} in ({string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => _literals[random.Next(_literals.Length)]))})",
            _ => $"-{Expression(random, depth + 1)}",
        };
    }

    static string Query(Random random)
    {
        var options = new List<string>();
        void Maybe(string option, Func<string> value)
        {
            if (random.Next(3) == 0)
            {
                options.Add(option + "=" + Uri.EscapeDataString(value()));
            }
        }

        Maybe("$filter", () => Expression(random, 0));
        Maybe("$select", () => string.Join(",", Enumerable.Range(0, 1 + random.Next(3)).Select(_ => _columns[random.Next(_columns.Length)])));
        Maybe("$orderby", () => string.Join(",", Enumerable.Range(0, 1 + random.Next(3)).Select(_ => Expression(random, 3) + (random.Next(2) == 0 ? " desc" : ""))));
        Maybe("$top", () => random.Next(4) == 0 ? "-3" : random.Next(0, 200).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Maybe("$skip", () => random.Next(0, 100).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Maybe("$count", () => random.Next(8) == 0 ? "maybe" : "true");
        Maybe("$search", () => random.Next(2) == 0 ? "hà nội" : "\"van\" OR (NOT an) AND");
        Maybe("$apply", () => random.Next(4) switch
        {
            0 => $"groupby(({_columns[random.Next(_columns.Length)]}),aggregate({_columns[random.Next(_columns.Length)]} with {new[] { "sum", "average", "min", "max", "countdistinct", "median" }[random.Next(6)]} as v))",
            1 => $"filter({Expression(random, 2)})/aggregate($count as n)",
            2 => $"compute({Expression(random, 2)} as c)/groupby((c))",
            _ => $"aggregate({_columns[random.Next(_columns.Length)]} with sum as total)",
        });
        Maybe("$skiptoken", () => random.Next(2) == 0 ? "WzEsIjIiXQ" : "!!!");
        if (random.Next(8) == 0)
        {
            options.Add("$format=" + Uri.EscapeDataString(new[] { "json", "xml", "application/json;odata.metadata=none", "atom" }[random.Next(4)]));
        }

        if (random.Next(20) == 0)
        {
            options.Add("$expand=Parent");
        }

        return string.Join("&", options);
    }

    static string Mutate(Random random, string query)
    {
        var text = new StringBuilder(query);
        const string noise = "'()$&=,/ %\"\\;-*ạđ\u0000\uffff";
        for (var i = random.Next(1, 4); i > 0 && text.Length > 0; i--)
        {
            var at = random.Next(text.Length);
            switch (random.Next(3))
            {
                case 0: text.Remove(at, 1); break;
                case 1: text.Insert(at, noise[random.Next(noise.Length)]); break;
                default: text[at] = noise[random.Next(noise.Length)]; break;
            }
        }

        return text.ToString();
    }

    [Fact]
    public async Task Thousands_of_generated_and_mutated_queries_never_get_a_server_error()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client(PlatformFixture.Consumer("acct-fuzz"));
        var random = new Random(4_2026);
        var statuses = new Dictionary<int, int>();

        for (var i = 0; i < 2_000; i++)
        {
            var query = Query(random);
            if (i % 2 == 1)
            {
                query = Mutate(random, query);
            }

            using var response = await client.GetAsync($"/odata/{dataset.Id}/Records?{query}");
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status < 500, $"{status} for ?{query}: {body}");
            if (status == 200 && response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(body).RootElement.GetProperty("value").ValueKind);
            }
            else if (status is >= 400 and < 500 && status != 404)
            {
                Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("error").TryGetProperty("message", out _), body);
            }
        }

        // The generator must exercise both sides, or the test proves little.
        Assert.True(statuses.GetValueOrDefault(200) > 150, string.Join(", ", statuses));
        Assert.True(statuses.GetValueOrDefault(400) > 150, string.Join(", ", statuses));
    }

    [Fact]
    public async Task Sql_injection_through_every_option_returns_only_legitimate_results_and_changes_nothing()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();

        foreach (var payload in _payloads)
        {
            var quoted = "'" + payload.Replace("'", "''", StringComparison.Ordinal) + "'";
            var literal = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$filter=name eq {Uri.EscapeDataString(quoted)} or contains(province,{Uri.EscapeDataString(quoted)})");
            Assert.Empty(literal.GetProperty("value").EnumerateArray());

            foreach (var option in new[] { "$filter", "$orderby", "$select", "$apply", "$skiptoken", "$top", "$skip" })
            {
                using var response = await client.GetAsync($"/odata/{dataset.Id}/Records?{option}={Uri.EscapeDataString(payload)}");
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            }

            // As a search phrase the payload is only text to find (or a phrase the parser refuses): the rows that
            // come back are exactly those whose text contains it, such as the person named "x' OR 1=1 --".
            var phrase = payload.Replace("\"", "", StringComparison.Ordinal);
            using var search = await client.GetAsync($"/odata/{dataset.Id}/Records?$search={Uri.EscapeDataString("\"" + phrase + "\"")}&$select=code");
            if (search.StatusCode != HttpStatusCode.BadRequest)
            {
                var expected = PeopleTable.Rows.Where(p => new[] { p.Code, p.Name, p.Province }.Any(t => t?.Contains(phrase, StringComparison.OrdinalIgnoreCase) == true)).Select(p => p.Code);
                var found = (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString());
                Assert.Equal(expected, found);
            }

            using var path = await client.GetAsync($"/odata/{Uri.EscapeDataString(dataset.Id + payload)}/Records");
            Assert.Equal(HttpStatusCode.NotFound, path.StatusCode);
        }

        Assert.Equal(PeopleTable.Rows.Count, await CountRowsAsync(dataset));
    }

    async Task<long> CountRowsAsync(QueryableDataset dataset)
    {
        var database = PeopleTable.Database(platform);
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{dataset.TableName}\"";
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class ODataFuzzTests_Embedded(CatalogEmbeddedFixture platform) : ODataFuzzTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class ODataFuzzTests_Production(CatalogProductionFixture platform) : ODataFuzzTests(platform);
