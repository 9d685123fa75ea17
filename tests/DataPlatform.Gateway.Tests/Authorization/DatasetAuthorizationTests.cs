using System.Net;
using System.Text;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.Tests.ApiKeys;
using DataPlatform.Gateway.Tests.Support;
using StackExchange.Redis;

namespace DataPlatform.Gateway.Tests.Authorization;

/// <summary>Who may read a dataset, by its access level in the descriptor the catalog writes.</summary>
public abstract class DatasetAuthorizationTests(PlatformFixture platform)
{
    [Fact]
    public async Task Open_data_is_served_to_anyone_through_odata_rest_and_downloads()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Open);
        using var client = GatewayScenario.Client(gateway);

        foreach (var path in new[] { $"/odata/{dataset}/rows", $"/api/v1/datasets/{dataset}", $"/api/v1/datasets/{dataset}/download?format=csv" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Registered_data_needs_any_valid_key()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Registered);
        var (key, _) = await scenario.IssueKeyAsync();
        using var anonymous = GatewayScenario.Client(gateway);
        using var keyed = GatewayScenario.Client(gateway);
        keyed.DefaultRequestHeaders.Add("X-Api-Key", key);

        using var refused = await anonymous.GetAsync($"/odata/{dataset}/rows");
        using var served = await keyed.GetAsync($"/odata/{dataset}/rows");

        var problem = await ApiKeyTests.ProblemAsync(refused, HttpStatusCode.Unauthorized);
        Assert.Equal(ProblemTypes.AuthenticationRequired, problem.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Paid_data_needs_a_subscription_and_others_are_pointed_to_the_plans()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var product = "feed-" + scenario.Unique;
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Paid, product);
        var (subscriber, _) = await scenario.IssueKeyAsync(entitlements: Entitlements.Product(product));
        var (other, _) = await scenario.IssueKeyAsync(entitlements: Entitlements.Product("another-feed"));
        using var subscribed = GatewayScenario.Client(gateway);
        subscribed.DefaultRequestHeaders.Add("X-Api-Key", subscriber);
        using var notSubscribed = GatewayScenario.Client(gateway);
        notSubscribed.DefaultRequestHeaders.Add("X-Api-Key", other);

        using var served = await subscribed.GetAsync($"/api/v1/datasets/{dataset}/rows");
        using var refused = await notSubscribed.GetAsync($"/api/v1/datasets/{dataset}/rows");

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var problem = await ApiKeyTests.ProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Equal(GatewayProblemTypes.SubscriptionRequired, problem.GetProperty("type").GetString());
        Assert.Equal(product, problem.GetProperty("productId").GetString());
        Assert.Equal("/api/v1/account/plans", problem.GetProperty("plans").GetString());
    }

    [Fact]
    public async Task Restricted_data_looks_like_it_does_not_exist_without_the_entitlement()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Restricted);
        var (granted, _) = await scenario.IssueKeyAsync(entitlements: Entitlements.Dataset(dataset));
        var (other, _) = await scenario.IssueKeyAsync();
        using var anonymous = GatewayScenario.Client(gateway);
        using var withGrant = GatewayScenario.Client(gateway);
        withGrant.DefaultRequestHeaders.Add("X-Api-Key", granted);
        using var withoutGrant = GatewayScenario.Client(gateway);
        withoutGrant.DefaultRequestHeaders.Add("X-Api-Key", other);

        using var served = await withGrant.GetAsync($"/odata/{dataset}/rows");
        using var hiddenFromKey = await withoutGrant.GetAsync($"/api/v1/datasets/{dataset}/rows");
        using var hiddenFromAnonymous = await anonymous.GetAsync($"/api/v1/datasets/{dataset}");

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        foreach (var hidden in new[] { hiddenFromKey, hiddenFromAnonymous })
        {
            var problem = await ApiKeyTests.ProblemAsync(hidden, HttpStatusCode.NotFound);
            Assert.Equal(ProblemTypes.NotFound, problem.GetProperty("type").GetString());
            Assert.DoesNotContain("restricted", problem.GetRawText(), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("entitlement", problem.GetRawText(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_dataset_made_restricted_disappears_on_every_instance_within_a_second()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var first = await scenario.StartGatewayAsync(("Gateway:DescriptorCacheSeconds", "60"));
        var second = await scenario.StartGatewayAsync(("Gateway:DescriptorCacheSeconds", "60"));
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Open);
        using var one = GatewayScenario.Client(first);
        using var two = GatewayScenario.Client(second);
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync($"/odata/{dataset}/rows")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync($"/odata/{dataset}/rows")).StatusCode);

        await scenario.PublishDatasetAsync(AccessLevel.Restricted, datasetId: dataset);

        await GatewayScenario.EventuallyAsync(
            async () => (await one.GetAsync($"/odata/{dataset}/rows")).StatusCode == HttpStatusCode.NotFound
                && (await two.GetAsync($"/odata/{dataset}/rows")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(1), "both instances to hide the dataset");
    }

    [Theory]
    [InlineData("paid")]
    [InlineData("restricted")]
    [InlineData("deleted")]
    public async Task A_publisher_changes_a_dataset_it_may_not_read_and_the_catalog_decides_on_the_role(string state)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var id = await scenario.PublishDatasetAsync(state == "paid" ? AccessLevel.Paid : state == "restricted" ? AccessLevel.Restricted : AccessLevel.Open, "feed-" + scenario.Unique);
        if (state == "deleted")
        {
            await scenario.Database.StringSetAsync(RedisKeys.Dataset(id), ContractJson.Serialize(new DatasetDescriptor(id, AccessLevel.Open, null, 1, Deleted: true)));
            await scenario.Database.PublishAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), Invalidation.Dataset(id));
        }

        // A publisher's key, without the product's subscription or the dataset's grant.
        var (key, descriptor) = await scenario.IssueKeyAsync();
        await scenario.WriteKeyAsync(key, descriptor with { Roles = [Roles.Publisher] });
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        using var read = await client.GetAsync($"/api/v1/datasets/{id}/rows");
        using var metadata = await client.PutAsync($"/api/v1/datasets/{id}", new StringContent("{}", Encoding.UTF8, "application/json"));
        using var version = await client.PostAsync($"/api/v1/datasets/{id}/versions", new StringContent("a,b\n1,2\n", Encoding.UTF8, "text/csv"));
        using var delete = await client.DeleteAsync($"/api/v1/datasets/{id}");

        // Reads keep the access level's rule…
        Assert.Equal(state == "paid" ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound, read.StatusCode);
        // …while changes reach the catalog, which checks the publisher role first (whatever the dataset).
        Assert.Equal($"/api/v1/datasets/{id}", (await EchoedRequest.ReadAsync(metadata)).Path);
        Assert.Equal($"/api/v1/datasets/{id}/versions", (await EchoedRequest.ReadAsync(version)).Path);
        Assert.Equal(descriptor.ConsumerId, (await EchoedRequest.ReadAsync(delete)).Consumer);
    }

    [Fact]
    public async Task A_dataset_without_a_descriptor_and_catalog_wide_endpoints_pass_through()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);

        using var unknown = await client.GetAsync("/odata/no-such-dataset-" + scenario.Unique);
        using var graphql = await client.GetAsync("/graphql?query=%7Bdatasets%7Bid%7D%7D");
        using var ckan = await client.GetAsync("/api/3/action/package_list");

        Assert.Equal("/odata/no-such-dataset-" + scenario.Unique, (await EchoedRequest.ReadAsync(unknown)).Path);
        Assert.Equal(HttpStatusCode.OK, graphql.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ckan.StatusCode);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class DatasetAuthorizationTests_Embedded(EmbeddedPlatformFixture platform) : DatasetAuthorizationTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class DatasetAuthorizationTests_Production(ProductionPlatformFixture platform) : DatasetAuthorizationTests(platform);
