using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Billing.Tests.Plans;

/// <summary>The data products billing sells on first start name the catalog's sample datasets, as the gateway sees them.</summary>
public abstract class SampleProductsTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    async Task<IReadOnlyList<DatasetDescriptor>> CatalogDescriptorsAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(platform.Platform.RedisConnectionString + ",allowAdmin=true");
        var database = redis.GetDatabase();
        var descriptors = new List<DatasetDescriptor>();
        await foreach (var key in redis.GetServers()[0].KeysAsync(database.Database, RedisKeys.Dataset("*")))
        {
            descriptors.Add(ContractJson.Deserialize<DatasetDescriptor>(await database.StringGetAsync(key))!);
        }

        return descriptors;
    }

    [Fact]
    public async Task Every_dataset_of_a_seeded_product_is_a_paid_catalog_dataset_of_that_product()
    {
        using var client = platform.CreateBillingClient();
        var products = await client.GetFromJsonAsync<JsonElement>("/api/v1/account/products");
        var catalog = (await CatalogDescriptorsAsync()).ToDictionary(d => d.DatasetId);

        var named = products.EnumerateArray()
            .SelectMany(p => p.GetProperty("datasets").EnumerateArray().Select(d => (Product: p.GetProperty("id").GetString(), Dataset: d.GetString()!)))
            .ToList();

        Assert.Contains(("hr-analytics", "bien-che-cong-chuc-theo-tinh"), named);
        Assert.All(named, n =>
        {
            Assert.True(catalog.TryGetValue(n.Dataset, out var descriptor), $"The catalog has no dataset '{n.Dataset}' of product '{n.Product}'.");
            Assert.Equal(AccessLevel.Paid, descriptor.AccessLevel);
            Assert.Equal(n.Product, descriptor.ProductId);
        });
    }

    [Fact]
    public async Task Every_paid_sample_dataset_belongs_to_a_product_partners_can_subscribe_to()
    {
        using var client = platform.CreateBillingClient();
        var products = (await client.GetFromJsonAsync<JsonElement>("/api/v1/account/products")).EnumerateArray()
            .Select(p => p.GetProperty("id").GetString()).ToHashSet();

        var paid = (await CatalogDescriptorsAsync()).Where(d => d.AccessLevel == AccessLevel.Paid && !d.Deleted).ToList();

        Assert.NotEmpty(paid);
        Assert.All(paid, d => Assert.Contains(d.ProductId, products));
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class SampleProductsTests_Embedded(BillingEmbeddedFixture platform) : SampleProductsTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class SampleProductsTests_Production(BillingProductionFixture platform) : SampleProductsTests(platform);
