using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DataPlatform.Catalog.Tests.Query;

namespace DataPlatform.Catalog.Tests.GraphQL;

/// <summary>
/// Thousands of generated and mutated GraphQL documents: each is answered with data or an errors array, never a
/// server error; injection attempts in arguments only ever match rows that really hold that text.
/// </summary>
public abstract class GraphQLFuzzTests(PlatformFixture platform)
{
    static readonly string[] _columns = ["code", "name", "province", "age", "income", "active", "born", "registered", "citizen_id", "nowhere"];
    static readonly string[] _values =
    [
        "\"Hà Nội\"", "\"\"", "\"' OR 1=1 --\"", "\"'; DROP TABLE x; --\"", "null", "true", "0", "-1", "42", "9223372036854775807", "99999999999999999999",
        "3.5", "\"1986-03-15\"", "\"2024-03-15T08:30:00Z\"", "\"2024-13-45\"", "[\"a\", \"b\"]", "[1, null]", "{ eq: 1 }", "ASC",
    ];
    static readonly string[] _ops = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "isNull", "contains", "startsWith", "endsWith", "like"];

    static string Where(Random random, int depth) => random.Next(depth > 2 ? 2 : 5) switch
    {
        0 or 1 => $"{_columns[random.Next(_columns.Length)]}: {{ {_ops[random.Next(_ops.Length)]}: {_values[random.Next(_values.Length)]} }}",
        2 => $"and: [{{ {Where(random, depth + 1)} }}, {{ {Where(random, depth + 1)} }}]",
        3 => $"or: [{{ {Where(random, depth + 1)} }}]",
        _ => $"not: {{ {Where(random, depth + 1)} }}",
    };

    static string Document(Random random, string field)
    {
        var arguments = new List<string>();
        if (random.Next(2) == 0)
        {
            arguments.Add($"where: {{ {Where(random, 0)} }}");
        }

        if (random.Next(3) == 0)
        {
            arguments.Add($"orderBy: [{{ field: {_columns[random.Next(_columns.Length)]}, direction: {(random.Next(2) == 0 ? "DESC" : "ASC")} }}]");
        }

        if (random.Next(3) == 0)
        {
            arguments.Add($"first: {new[] { "0", "5", "-1", "100000", "\"ten\"" }[random.Next(5)]}");
        }

        if (random.Next(5) == 0)
        {
            arguments.Add($"after: {new[] { "\"WzEsIjIiXQ\"", "\"!!\"", "null", "5" }[random.Next(4)]}");
        }

        if (random.Next(5) == 0)
        {
            arguments.Add($"search: {new[] { "\"ha noi\"", "\"' OR 1=1\"", "7" }[random.Next(3)]}");
        }

        var selection = random.Next(4) switch
        {
            0 => "totalCount",
            1 => $"nodes {{ {string.Join(" ", Enumerable.Range(0, 1 + random.Next(4)).Select(_ => _columns[random.Next(_columns.Length)]))} }}",
            2 => "edges { cursor node { code } } pageInfo { hasNextPage endCursor }",
            _ => $"aggregate(groupBy: [{_columns[random.Next(_columns.Length)]}]) {{ key {{ province }} count sum {{ age income }} min {{ born }} }}",
        };
        var root = random.Next(10) switch
        {
            0 => "datasets { id field columns { name type } }",
            1 => "__schema { types { name } }",
            2 => "unknownField",
            _ => $"{field}{(arguments.Count > 0 ? "(" + string.Join(", ", arguments) + ")" : "")} {{ {selection} }}",
        };
        return "{ " + root + " }";
    }

    static string Mutate(Random random, string document)
    {
        var text = new StringBuilder(document);
        const string noise = "{}()[]:$!@\"'\\,ạđ#\n";
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
    public async Task Thousands_of_generated_and_mutated_documents_never_get_a_server_error()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();
        var field = dataset.Id.Replace('-', '_');
        var random = new Random(8_2026);
        var withData = 0;
        var withErrors = 0;

        for (var i = 0; i < 1_500; i++)
        {
            var document = Document(random, field);
            if (i % 2 == 1)
            {
                document = Mutate(random, document);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { query = document }), Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/graphql-response+json"));
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {document}: {body}");
            var json = JsonDocument.Parse(body).RootElement;
            var hasErrors = json.TryGetProperty("errors", out var errors) && errors.GetArrayLength() > 0;
            Assert.True(hasErrors || json.TryGetProperty("data", out _), body);
            // An exception the resolvers did not turn into a clear error surfaces as GraphQL.NET's generic message.
            Assert.False(body.Contains("Error trying to resolve", StringComparison.Ordinal), $"{document}: {body}");
            if (hasErrors)
            {
                withErrors++;
            }
            else
            {
                withData++;
            }
        }

        Assert.True(withData > 150 && withErrors > 150, $"{withData} with data, {withErrors} with errors");
    }

    [Fact]
    public async Task Injection_attempts_in_arguments_match_only_rows_that_hold_the_text()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();
        var field = dataset.Id.Replace('-', '_');

        foreach (var payload in new[] { "' OR 1=1 --", "x' OR 1=1 --", "'; DROP TABLE people; --", "\" OR \"\"=\"", "%' OR '%'='" })
        {
            var (status, body, _) = await GraphQLEndpointTests.PostAsync(client,
                $"query($p: String) {{ {field}(where: {{ or: [{{ name: {{ eq: $p }} }}, {{ province: {{ contains: $p }} }}] }}) {{ nodes {{ code }} }} }}", new { p = payload });

            Assert.Equal(HttpStatusCode.OK, status);
            var expected = PeopleTable.Rows.Where(p => p.Name == payload || p.Province?.Contains(payload, StringComparison.Ordinal) == true).Select(p => p.Code);
            Assert.Equal(expected, body.GetProperty("data").GetProperty(field).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
        }
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class GraphQLFuzzTests_Embedded(CatalogEmbeddedFixture platform) : GraphQLFuzzTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class GraphQLFuzzTests_Production(CatalogProductionFixture platform) : GraphQLFuzzTests(platform);
