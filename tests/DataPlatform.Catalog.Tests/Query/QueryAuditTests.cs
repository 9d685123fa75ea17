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
    public async Task A_read_that_only_counts_rows_of_a_restricted_dataset_is_audited_too()
    {
        var restricted = await PeopleTable.CreateAsync(platform, access: AccessLevel.Restricted);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(restricted));
        var reader = PlatformFixture.Consumer("acct-counter-" + Guid.NewGuid().ToString("N")[..8]) with { Entitlements = [restricted.Entitlement] };
        using var client = catalog.Client(reader);
        using var admin = catalog.Client(PlatformFixture.Consumer("acct-admin", Roles.Admin));
        var field = restricted.Id.Replace('-', '_');

        // Whether a citizen id is in the dataset is itself what an auditor wants to know was asked.
        var (_, graphql, _) = await GraphQLEndpointTests.PostAsync(client, $"{{ {field}(where: {{ citizen_id: {{ eq: \"001086000001\" }} }}) {{ totalCount }} }}");
        var odata = await client.GetStringAsync($"/odata/{restricted.Id}/Records/$count?$filter=citizen_id eq '001096000002'");
        var entries = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?consumerId={reader.ConsumerId}");

        Assert.Equal(1, graphql.GetProperty("data").GetProperty(field).GetProperty("totalCount").GetInt64());
        Assert.Equal("1", odata);
        var logged = entries.EnumerateArray().ToList();
        Assert.Equal(["odata", "graphql"], logged.Select(e => e.GetProperty("frontDoor").GetString()));
        Assert.Contains("001096000002", Uri.UnescapeDataString(logged[0].GetProperty("query").GetString()!));
        Assert.Contains("001086000001", logged[1].GetProperty("query").GetString());
    }

    [Fact]
    public async Task Admins_narrow_the_audit_log_by_dataset_and_time()
    {
        var first = await PeopleTable.CreateAsync(platform, access: AccessLevel.Restricted);
        var second = await PeopleTable.CreateAsync(platform, access: AccessLevel.Restricted);
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(first, second));
        var reader = PlatformFixture.Consumer("acct-narrow-" + Guid.NewGuid().ToString("N")[..8]) with { Entitlements = [first.Entitlement, second.Entitlement] };
        using var client = catalog.Client(reader);
        using var admin = catalog.Client(PlatformFixture.Consumer("acct-admin", Roles.Admin));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await client.GetStringAsync($"/odata/{first.Id}/Records?$top=4");
        await client.GetStringAsync($"/odata/{second.Id}/Records?$top=2");
        var after = DateTimeOffset.UtcNow.AddSeconds(1);
        var byDataset = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?datasetId={second.Id}");
        var inWindow = await admin.GetFromJsonAsync<JsonElement>(
            $"/api/v1/query-audit?consumerId={reader.ConsumerId}&from={Uri.EscapeDataString(before.ToString("O"))}&to={Uri.EscapeDataString(after.ToString("O"))}&limit=1");
        var later = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?consumerId={reader.ConsumerId}&from={Uri.EscapeDataString(after.ToString("O"))}");
        using var badLimit = await admin.GetAsync("/api/v1/query-audit?limit=0");

        var entry = Assert.Single(byDataset.EnumerateArray());
        Assert.Equal(2, entry.GetProperty("rows").GetInt64());
        Assert.Equal(second.Id, Assert.Single(inWindow.EnumerateArray()).GetProperty("datasetId").GetString());
        Assert.Empty(later.EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
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
