using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Catalog.Query;
using DataPlatform.Catalog.Tests.GraphQL;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// The page-size and group limits come from configuration (<c>Catalog:Query</c>) and hold through both front doors:
/// a client that asks for more gets a clear error, or the most it may have, never a hung or unbounded answer.
/// </summary>
public abstract class QueryLimitsTests(PlatformFixture platform)
{
    static readonly Dictionary<string, string?> _limits = new()
    {
        ["Catalog:Query:DefaultPageSize"] = "7",
        ["Catalog:Query:MaxPageSize"] = "20",
        ["Catalog:Query:MaxGroups"] = "5",
    };

    async Task<(CatalogWithDatasets Catalog, QueryableDataset Dataset)> StartAsync()
    {
        var dataset = await PeopleTable.CreateAsync(platform);
        return (await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset), _limits), dataset);
    }

    [Fact]
    public async Task Pages_default_to_the_configured_size_and_no_client_gets_more_than_the_maximum()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();
        var field = dataset.Id.Replace('-', '_');

        using var plain = await client.GetAsync($"/odata/{dataset.Id}/Records?$select=code");
        using var greedy = new HttpRequestMessage(HttpMethod.Get, $"/odata/{dataset.Id}/Records?$select=code");
        greedy.Headers.Add("Prefer", "odata.maxpagesize=50");
        using var capped = await client.SendAsync(greedy);
        using var tooMany = await client.GetAsync($"/odata/{dataset.Id}/Records?$top=21");
        var (_, graphDefault, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field} {{ nodes {{ code }} pageInfo {{ hasNextPage }} }} }}");
        var (_, graphTooMany, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field}(first: 21) {{ nodes {{ code }} }} }}");

        var firstPage = await plain.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(PeopleTable.Rows.Take(7).Select(p => p.Code), firstPage.GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
        Assert.Contains("$skiptoken=", firstPage.GetProperty("@odata.nextLink").GetString());
        Assert.False(plain.Headers.Contains("Preference-Applied"));
        Assert.Equal(20, (await capped.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("value").GetArrayLength());
        Assert.Equal("odata.maxpagesize=20", capped.Headers.GetValues("Preference-Applied").Single());
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        var error = (await tooMany.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("PageSizeLimitExceeded", error.GetProperty("code").GetString());
        Assert.Contains("at most 20", error.GetProperty("message").GetString());
        var connection = graphDefault.GetProperty("data").GetProperty(field);
        Assert.Equal(7, connection.GetProperty("nodes").GetArrayLength());
        Assert.True(connection.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean());
        Assert.Equal("PAGESIZE_LIMIT", graphTooMany.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_aggregation_with_more_groups_than_allowed_is_a_clear_error_through_both_doors()
    {
        var (catalog, dataset) = await StartAsync();
        await using var _ = catalog;
        using var client = catalog.Client();
        var field = dataset.Id.Replace('-', '_');

        // Six provinces (a null among them) are one group more than the limit; three values of active are within it.
        using var tooMany = await client.GetAsync($"/odata/{dataset.Id}/Records?$apply=groupby((province),aggregate($count as n))");
        var fewer = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$apply=groupby((active),aggregate($count as n))");
        var topped = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$apply=groupby((province),aggregate($count as n))&$orderby=n desc&$top=2");
        var (_, graph, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field} {{ aggregate(groupBy: [province]) {{ count }} }} }}");

        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        var error = (await tooMany.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("GroupsLimitExceeded", error.GetProperty("code").GetString());
        Assert.Equal("$apply", error.GetProperty("target").GetString());
        Assert.Contains("more than 5 groups", error.GetProperty("message").GetString());
        Assert.Equal(3, fewer.GetProperty("value").GetArrayLength());
        var largest = PeopleTable.Rows.GroupBy(p => p.Province).Select(g => (long)g.Count()).OrderDescending().Take(2);
        Assert.Equal(largest, topped.GetProperty("value").EnumerateArray().Select(g => g.GetProperty("n").GetInt64()));
        var graphError = Assert.Single(graph.GetProperty("errors").EnumerateArray());
        Assert.Equal("GROUPS_LIMIT", graphError.GetProperty("extensions").GetProperty("code").GetString());
        Assert.True(graphError.TryGetProperty("locations", out var locations));
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class QueryLimitsTests_Embedded(CatalogEmbeddedFixture platform) : QueryLimitsTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class QueryLimitsTests_Production(CatalogProductionFixture platform) : QueryLimitsTests(platform);
