using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Catalog.Tests.GraphQL;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// Registered datasets need an API key and paid ones a subscription to their product, through GraphQL as through
/// OData. A GraphQL document names its datasets only in its body, where the gateway does not look, so the catalog
/// must refuse these reads itself.
/// </summary>
public abstract class DatasetAccessTests(PlatformFixture platform)
{
    [Fact]
    public async Task Registered_and_paid_datasets_are_read_only_by_callers_with_a_key_and_a_subscription_through_both_doors()
    {
        var product = "hr-" + Guid.NewGuid().ToString("N")[..8];
        var registered = await PeopleTable.CreateAsync(platform, access: AccessLevel.Registered);
        var paid = await PeopleTable.CreateAsync(platform, access: AccessLevel.Paid) with { ProductId = product };
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(registered, paid));
        using var anonymous = catalog.Client();
        using var developer = catalog.Client(PlatformFixture.Consumer("acct-no-plan"));
        using var subscriber = catalog.Client(PlatformFixture.Consumer("acct-subscriber") with { Entitlements = [Entitlements.Product(product)] });
        var document = $"{{ r: {Field(registered)}(first: 1) {{ nodes {{ code }} }} p: {Field(paid)} {{ totalCount aggregate {{ count }} }} }}";

        var (_, strangers, _) = await GraphQLEndpointTests.PostAsync(anonymous, document);
        var (_, developers, _) = await GraphQLEndpointTests.PostAsync(developer, document);
        var (_, subscribers, _) = await GraphQLEndpointTests.PostAsync(subscriber, document);
        using var anonymousOData = await anonymous.GetAsync($"/odata/{registered.Id}/Records?$top=1");
        using var developerOData = await developer.GetAsync($"/odata/{paid.Id}/Records/$count");
        var subscriberOData = await subscriber.GetStringAsync($"/odata/{paid.Id}/Records/$count");

        Assert.Equal(["AUTHENTICATION_REQUIRED", "AUTHENTICATION_REQUIRED"], Codes(strangers));
        Assert.Equal(JsonValueKind.Null, strangers.GetProperty("data").GetProperty("p").ValueKind);
        Assert.Equal(["SUBSCRIPTION_REQUIRED"], Codes(developers));
        Assert.Equal("P001", developers.GetProperty("data").GetProperty("r").GetProperty("nodes")[0].GetProperty("code").GetString());
        Assert.Contains(product, developers.GetProperty("errors")[0].GetProperty("message").GetString());
        Assert.False(subscribers.TryGetProperty("errors", out var errors), errors.ToString());
        Assert.Equal(PeopleTable.Rows.Count, subscribers.GetProperty("data").GetProperty("p").GetProperty("totalCount").GetInt64());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousOData.StatusCode);
        Assert.Equal("AuthenticationRequired", (await anonymousOData.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, developerOData.StatusCode);
        Assert.Equal("SubscriptionRequired", (await developerOData.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(PeopleTable.Rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), subscriberOData);
    }

    static string Field(Catalog.Query.QueryableDataset dataset) => dataset.Id.Replace('-', '_');

    static List<string?> Codes(JsonElement body) =>
        body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("extensions").GetProperty("code").GetString()).ToList();
}

[Collection(EmbeddedCollection.Name)]
public sealed class DatasetAccessTests_Embedded(CatalogEmbeddedFixture platform) : DatasetAccessTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class DatasetAccessTests_Production(CatalogProductionFixture platform) : DatasetAccessTests(platform);
