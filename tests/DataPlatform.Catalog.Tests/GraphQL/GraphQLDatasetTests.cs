using System.Net;
using DataPlatform.Catalog.Query;
using DataPlatform.Catalog.Tests.Query;
using DataPlatform.Contracts.Access;
using Microsoft.Extensions.DependencyInjection;

namespace DataPlatform.Catalog.Tests.GraphQL;

/// <summary>GraphQL over real tables through a real catalog host: typed fields, filters, paging, aggregates, access.</summary>
public abstract class GraphQLDatasetTests(PlatformFixture platform)
{
    static readonly Contracts.ConsumerContext.ConsumerContext _developer = PlatformFixture.Consumer("acct-graphql");

    static string Field(QueryableDataset dataset) => dataset.Id.Replace('-', '_');

    static string TypeName(QueryableDataset dataset) => string.Concat(dataset.Id.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    [Fact]
    public async Task Where_and_orderBy_return_the_same_rows_as_the_independent_computation()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();

        var (status, body, raw) = await GraphQLEndpointTests.PostAsync(client, $$"""
            {
              {{Field(dataset)}}(
                where: { or: [{ province: { eq: "Hà Nội" } }, { province: { in: ["Đà Nẵng"] } }], age: { gte: 30 }, not: { name: { startsWith: "Trần" } } }
                orderBy: [{ field: age, direction: DESC }, { field: name }]
                first: 100) {
                totalCount
                nodes { code name age born registered }
              }
            }
            """);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("errors", out var errors), errors.ToString());
        var expected = PeopleTable.Rows
            .Where(p => (p.Province == "Hà Nội" || p.Province == "Đà Nẵng") && p.Age >= 30 && p.Name is not null && !p.Name.StartsWith("Trần", StringComparison.Ordinal))
            .OrderByDescending(p => p.Age).ThenBy(p => p.Name is not null).ThenBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.RowId).ToList();
        var connection = body.GetProperty("data").GetProperty(Field(dataset));
        Assert.Equal(expected.Count, connection.GetProperty("totalCount").GetInt64());
        Assert.Equal(expected.Select(p => p.Code), connection.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
        Assert.Contains("\"Nguyễn Văn An\"", raw);
        var first = connection.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("code").GetString() == "P001");
        Assert.Equal("1986-03-15", first.GetProperty("born").GetString());
        Assert.StartsWith("2024-03-15T08:30:00", first.GetProperty("registered").GetString());
    }

    [Fact]
    public async Task Cursor_paging_visits_every_row_once()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();

        var codes = new List<string>();
        string? after = null;
        do
        {
            var (_, body, _) = await GraphQLEndpointTests.PostAsync(client,
                $"query($after: String) {{ {Field(dataset)}(first: 11, after: $after, orderBy: [{{ field: income, direction: DESC }}]) {{ edges {{ cursor node {{ code }} }} pageInfo {{ hasNextPage endCursor }} }} }}",
                new { after });
            var connection = body.GetProperty("data").GetProperty(Field(dataset));
            codes.AddRange(connection.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("node").GetProperty("code").GetString()!));
            var pageInfo = connection.GetProperty("pageInfo");
            after = pageInfo.GetProperty("hasNextPage").GetBoolean() ? pageInfo.GetProperty("endCursor").GetString() : null;
        }
        while (after is not null);

        var expected = PeopleTable.Rows.OrderBy(p => p.Income is null).ThenByDescending(p => p.Income).ThenBy(p => p.RowId).Select(p => p.Code);
        Assert.Equal(expected, codes);
    }

    [Fact]
    public async Task Aggregate_groups_and_sums_like_the_independent_computation()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();

        var (_, body, _) = await GraphQLEndpointTests.PostAsync(client,
            $"{{ {Field(dataset)}(where: {{ age: {{ gt: 25 }} }}) {{ aggregate(groupBy: [province]) {{ key {{ province }} count sum {{ age }} max {{ born }} }} }} }}");

        Assert.False(body.TryGetProperty("errors", out var errors), errors.ToString());
        var groups = body.GetProperty("data").GetProperty(Field(dataset)).GetProperty("aggregate").EnumerateArray().ToList();
        var expected = PeopleTable.Rows.Where(p => p.Age > 25).GroupBy(p => p.Province).ToList();
        Assert.Equal(expected.Count, groups.Count);
        foreach (var group in expected)
        {
            var actual = groups.Single(g => g.GetProperty("key").GetProperty("province").GetString() == group.Key);
            Assert.Equal(group.Count(), actual.GetProperty("count").GetInt64());
            Assert.Equal(group.Sum(p => p.Age), actual.GetProperty("sum").GetProperty("age").GetInt64());
            Assert.Equal(group.Max(p => p.Born)?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), actual.GetProperty("max").GetProperty("born").GetString());
        }
    }

    [Fact]
    public async Task Restricted_datasets_and_personal_columns_are_only_in_the_schema_of_entitled_callers()
    {
        var open = await PeopleTable.CreateAsync(platform);
        var restricted = await PeopleTable.CreateAsync(platform, access: AccessLevel.Restricted);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(open, restricted));
        using var stranger = catalog.Client(_developer);
        using var entitled = catalog.Client(_developer with { Entitlements = [restricted.Entitlement, open.Entitlement] });

        var strangerFields = await RootFieldsAsync(stranger);
        var entitledFields = await RootFieldsAsync(entitled);
        var (_, denied, _) = await GraphQLEndpointTests.PostAsync(stranger, $"{{ {Field(open)}(first: 1) {{ nodes {{ citizen_id }} }} }}");
        var (_, allowed, _) = await GraphQLEndpointTests.PostAsync(entitled, $"{{ {Field(restricted)}(where: {{ code: {{ eq: \"P001\" }} }}) {{ nodes {{ citizen_id }} }} }}");

        Assert.Contains(Field(open), strangerFields);
        Assert.DoesNotContain(Field(restricted), strangerFields);
        Assert.Contains(Field(restricted), entitledFields);
        Assert.Contains("citizen_id", denied.GetProperty("errors")[0].GetProperty("message").GetString());
        Assert.Equal("001086000001", allowed.GetProperty("data").GetProperty(Field(restricted)).GetProperty("nodes")[0].GetProperty("citizen_id").GetString());
    }

    [Fact]
    public async Task Search_ignores_diacritics_and_never_matches_a_personal_column_the_caller_may_not_see()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var stranger = catalog.Client(_developer);
        using var entitled = catalog.Client(_developer with { Entitlements = [dataset.Entitlement] });
        const string Query = "query($s: String) { {0}(search: $s, first: 100) { totalCount nodes { code } } }";
        var document = Query.Replace("{0}", Field(dataset), StringComparison.Ordinal);

        var (_, plain, _) = await GraphQLEndpointTests.PostAsync(stranger, document, new { s = "dang van duc" });
        var (_, hidden, _) = await GraphQLEndpointTests.PostAsync(stranger, document, new { s = "001086000001" });
        var (_, found, _) = await GraphQLEndpointTests.PostAsync(entitled, document, new { s = "001086000001" });

        Assert.Equal(["P003"], Codes(plain));
        Assert.Empty(Codes(hidden));
        Assert.Equal(0, hidden.GetProperty("data").GetProperty(Field(dataset)).GetProperty("totalCount").GetInt64());
        Assert.Equal(["P001"], Codes(found));

        List<string?> Codes(System.Text.Json.JsonElement body) =>
            body.GetProperty("data").GetProperty(Field(dataset)).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("code").GetString()).ToList();
    }

    [Fact]
    public async Task A_newly_published_dataset_appears_in_the_schema_without_a_restart()
    {
        var first = await PeopleTable.CreateAsync(platform);
        var registry = new TestDatasetRegistry(first);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, registry);
        using var client = catalog.Client();
        Assert.Contains(Field(first), await RootFieldsAsync(client));

        var second = await PeopleTable.CreateAsync(platform);
        registry.Add(second);
        catalog.Services.GetRequiredService<QueryableDatasetChanges>().NotifyChanged();

        Assert.Contains(Field(second), await RootFieldsAsync(client));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_an_error_naming_the_argument()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();

        var (status, body, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {Field(dataset)}(where: {{ age: {{ gt: \"old\" }} }}) {{ totalCount }} }}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = body.GetProperty("errors")[0];
        Assert.Contains("gt", error.GetProperty("message").GetString());
        Assert.True(error.TryGetProperty("locations", out var _));
    }

    [Fact]
    public async Task Asking_for_more_rows_than_a_page_may_hold_is_an_error()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();

        var (_, body, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {Field(dataset)}(first: 10001) {{ nodes {{ code }} }} }}");

        Assert.Contains("at most 10000 rows", body.GetProperty("errors")[0].GetProperty("message").GetString());
        Assert.Equal("PAGESIZE_LIMIT", body.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_document_more_complex_than_the_limit_is_refused_before_it_runs()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        using var client = catalog.Client();
        var aliases = string.Concat(Enumerable.Range(0, 30).Select(i => $" a{i}: {Field(dataset)}(first: 10000) {{ nodes {{ code name age income born }} }}"));

        var (status, body, _) = await GraphQLEndpointTests.PostAsync(client, "{" + aliases + " }");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("complex", body.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The check a GraphQL client makes of a schema it did not write: graphql-js, the reference implementation that
    /// GraphiQL, Apollo and the code generators build client schemas with (Debian's node-graphql, which the test
    /// script installs), turns the introspection result into a client schema, validates it, and validates a typical
    /// document against it.
    /// </summary>
    const string ReferenceClient = """
        const { buildClientSchema, validateSchema, parse, validate, printSchema } = require("graphql");
        const schema = buildClientSchema(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).data);
        const problems = [...validateSchema(schema), ...validate(schema, parse(process.argv[2]))].map(String);
        console.log(problems.length ? problems.join("\n") : "ok " + printSchema(schema).length);
        """;

    /// <summary>Where Debian installs Node.js modules; Node.js builds from elsewhere do not look there by themselves.</summary>
    const string DebianNodeModules = "/usr/share/nodejs";

    [Fact]
    public async Task The_introspected_schema_is_accepted_by_the_reference_GraphQL_client_implementation()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        var hidden = await PeopleTable.CreateAsync(platform);
        hidden = hidden with { Columns = hidden.Columns.Select(c => c with { Sensitivity = ColumnSensitivity.Sensitive }).ToArray() };
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset, hidden));
        using var client = catalog.Client();
        var (_, _, introspection) = await GraphQLEndpointTests.PostAsync(client, GraphQLEndpointTests.IntrospectionQuery);
        var file = Path.Combine(Path.GetTempPath(), $"introspection-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, introspection);
        var document = $$"""
            query People($after: String, $where: {{TypeName(dataset)}}Where) {
              {{Field(dataset)}}(where: $where, orderBy: [{ field: age, direction: DESC }], first: 10, after: $after, search: "hà nội") {
                totalCount
                edges { cursor node { code name age income active born registered } }
                pageInfo { hasNextPage endCursor }
                aggregate(groupBy: [province, active]) { key { province active } count sum { age income } avg { income } min { born } max { registered } }
              }
              {{Field(hidden)}} { totalCount nodes { _row } }
              datasets { id title accessLevel version rowCount field columns { name type nullable key filterable } }
            }
            """;

        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["NODE_PATH"] = DebianNodeModules;
            foreach (var argument in new[] { "-e", ReferenceClient, file, document })
            {
                start.ArgumentList.Add(argument);
            }

            using var node = System.Diagnostics.Process.Start(start)!;
            var output = await node.StandardOutput.ReadToEndAsync();
            var error = await node.StandardError.ReadToEndAsync();
            await node.WaitForExitAsync();

            Assert.True(node.ExitCode == 0, "Node.js with graphql-js (apt-get install nodejs node-graphql) is needed: " + error);
            Assert.StartsWith("ok ", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_IDE_page_runs_in_a_real_browser_with_no_network_beyond_the_catalog_and_lists_the_datasets()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset));
        var profile = Directory.CreateTempSubdirectory("ide-browser-");
        try
        {
            // Headless Chromium loads the page as a browser asks for it (Accept: text/html), runs its script, lets its
            // introspection request finish, and prints the resulting DOM. The page may reach nothing but the catalog.
            var start = new System.Diagnostics.ProcessStartInfo(TestServers.Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                "--user-data-dir=" + profile.FullName, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=10000", "--dump-dom", catalog.Url + "/graphql",
            })
            {
                start.ArgumentList.Add(argument);
            }

            using var browser = System.Diagnostics.Process.Start(start)!;
            var stderr = browser.StandardError.ReadToEndAsync();
            var dom = await browser.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(90));
            await browser.WaitForExitAsync();

            Assert.Contains($"<li title=\"{dataset.Title}", dom);
            Assert.Contains($">{Field(dataset)}</li>", dom);
            Assert.Contains(">datasets</li>", dom);
            _ = await stderr;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Columns_named_like_where_combinators_or_GraphQL_literals_leave_the_schema_working_under_a_suffixed_name()
    {
        var people = await PeopleTable.CreateAsync(platform);
        var renamed = new Dictionary<string, string> { ["province"] = "and", ["age"] = "not", ["name"] = "null", ["active"] = "true" };
        var dataset = people with { Columns = people.Columns.Select(c => renamed.TryGetValue(c.Name, out var name) ? c with { Name = name } : c).ToArray() };
        var other = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset, other));
        using var client = catalog.Client();

        var (_, body, _) = await GraphQLEndpointTests.PostAsync(client, $$"""
            {
              {{Field(dataset)}}(where: { and_column: { eq: "Hà Nội" }, not_column: { gte: 30 }, not: { null_column: { isNull: true } } },
                  orderBy: [{ field: not_column, direction: DESC }, { field: code }]) {
                nodes { code and_column not_column null_column true_column }
                aggregate(groupBy: [true_column]) { key { true_column } count }
              }
              {{Field(other)}}(first: 1) { nodes { code } }
            }
            """);

        Assert.False(body.TryGetProperty("errors", out var errors), errors.ToString());
        var expected = PeopleTable.Rows.Where(p => p.Province == "Hà Nội" && p.Age >= 30 && p.Name is not null)
            .OrderByDescending(p => p.Age).ThenBy(p => p.Code, StringComparer.Ordinal).ToList();
        var connection = body.GetProperty("data").GetProperty(Field(dataset));
        Assert.Equal(expected.Select(p => p.Code), connection.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
        Assert.Equal(expected.Select(p => p.Age), connection.GetProperty("nodes").EnumerateArray().Select(n => (long?)n.GetProperty("not_column").GetInt64()));
        Assert.Equal(expected.Select(p => p.Active).Distinct().Count(), connection.GetProperty("aggregate").GetArrayLength());
        Assert.Equal("P001", body.GetProperty("data").GetProperty(Field(other)).GetProperty("nodes")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_dataset_whose_every_column_is_personal_leaves_the_schema_working_for_callers_who_may_not_see_them()
    {
        var people = await PeopleTable.CreateAsync(platform);
        var hidden = people with { Columns = people.Columns.Select(c => c with { Sensitivity = ColumnSensitivity.Personal }).ToArray() };
        var open = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(hidden, open));
        using var stranger = catalog.Client(_developer);
        using var entitled = catalog.Client(_developer with { Entitlements = [hidden.Entitlement] });

        var (_, seen, _) = await GraphQLEndpointTests.PostAsync(stranger, $"{{ {Field(open)}(first: 2) {{ nodes {{ code }} }} {Field(hidden)} {{ totalCount }} }}");
        var (_, full, _) = await GraphQLEndpointTests.PostAsync(entitled, $"{{ {Field(hidden)}(where: {{ code: {{ eq: \"P002\" }} }}) {{ nodes {{ name citizen_id }} }} }}");
        var (_, leak, _) = await GraphQLEndpointTests.PostAsync(stranger, $"{{ {Field(hidden)}(first: 1) {{ nodes {{ code }} }} }}");

        Assert.False(seen.TryGetProperty("errors", out var errors), errors.ToString());
        Assert.Equal(["P001", "P002"], seen.GetProperty("data").GetProperty(Field(open)).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("code").GetString()));
        Assert.Equal(PeopleTable.Rows.Count, seen.GetProperty("data").GetProperty(Field(hidden)).GetProperty("totalCount").GetInt64());
        Assert.Equal("001096000002", full.GetProperty("data").GetProperty(Field(hidden)).GetProperty("nodes")[0].GetProperty("citizen_id").GetString());
        Assert.Contains("code", leak.GetProperty("errors")[0].GetProperty("message").GetString());
    }

    static async Task<List<string>> RootFieldsAsync(HttpClient client)
    {
        var (_, body, _) = await GraphQLEndpointTests.PostAsync(client, "{ __schema { queryType { fields { name } } } }");
        return body.GetProperty("data").GetProperty("__schema").GetProperty("queryType").GetProperty("fields").EnumerateArray()
            .Select(f => f.GetProperty("name").GetString()!).ToList();
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class GraphQLDatasetTests_Embedded(CatalogEmbeddedFixture platform) : GraphQLDatasetTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class GraphQLDatasetTests_Production(CatalogProductionFixture platform) : GraphQLDatasetTests(platform);
