using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Catalog.Tests.GraphQL;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>Every read of a restricted dataset lands in the audit log, which only admins can read.</summary>
public abstract class QueryAuditTests(PlatformFixture platform)
{
    [Fact]
    public async Task Reads_of_a_restricted_dataset_through_both_doors_are_in_the_audit_log_for_admins()
    {
        var restricted = await PeopleTable.CreateAsync(platform, access: AccessLevel.Restricted);
        var open = await PeopleTable.CreateAsync(platform);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(restricted, open));
        var reader = PlatformFixture.Consumer("acct-auditor-" + Guid.NewGuid().ToString("N")[..8]) with { Entitlements = [restricted.Entitlement] };
        using var client = catalog.Client(reader);
        using var admin = catalog.Client(PlatformFixture.Consumer("acct-admin", Roles.Admin));

        var odata = await client.GetFromJsonAsync<JsonElement>($"/odata/{restricted.Id}/Records?$filter=province eq 'Hà Nội'&$select=code");
        await client.GetFromJsonAsync<JsonElement>($"/odata/{open.Id}/Records?$top=2");
        var field = restricted.Id.Replace('-', '_');
        var (_, graphql, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field}(first: 3) {{ nodes {{ code }} }} }}");
        var entries = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?consumerId={reader.ConsumerId}");

        var logged = entries.EnumerateArray().ToList();
        Assert.Equal(2, logged.Count);
        Assert.All(logged, e => Assert.Equal(restricted.Id, e.GetProperty("datasetId").GetString()));
        var graphqlEntry = logged[0];
        var odataEntry = logged[1];
        Assert.Equal("graphql", graphqlEntry.GetProperty("frontDoor").GetString());
        Assert.Equal(3, graphqlEntry.GetProperty("rows").GetInt64());
        Assert.Contains(field, graphqlEntry.GetProperty("query").GetString());
        Assert.Equal("odata", odataEntry.GetProperty("frontDoor").GetString());
        Assert.Equal(odata.GetProperty("value").GetArrayLength(), odataEntry.GetProperty("rows").GetInt64());
        Assert.Contains("province eq 'Hà Nội'", Uri.UnescapeDataString(odataEntry.GetProperty("query").GetString()!));
        Assert.Equal(reader.AccountId, odataEntry.GetProperty("accountId").GetString());
    }

    [Fact]
    public async Task The_audit_log_is_closed_to_everyone_but_admins()
    {
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry());
        using var anonymous = catalog.Client();
        using var developer = catalog.Client(PlatformFixture.Consumer("acct-dev", Roles.Publisher));

        using var anonymousResponse = await anonymous.GetAsync("/api/v1/query-audit");
        using var developerResponse = await developer.GetAsync("/api/v1/query-audit");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymousResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, developerResponse.StatusCode);
        Assert.Equal("application/problem+json", developerResponse.Content.Headers.ContentType?.MediaType);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class QueryAuditTests_Embedded(CatalogEmbeddedFixture platform) : QueryAuditTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class QueryAuditTests_Production(CatalogProductionFixture platform) : QueryAuditTests(platform);
