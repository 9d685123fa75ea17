using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Catalog.Tests.Descriptors;

/// <summary>The gateway authorizes from the descriptor the catalog writes to Redis after every change.</summary>
public abstract class DescriptorTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task Every_change_writes_the_descriptor_and_announces_it()
    {
        var id = CatalogTestData.NewId();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(platform.Platform.RedisConnectionString);
        var announced = new List<string>();
        var channel = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel));
        channel.OnMessage(message =>
        {
            lock (announced)
            {
                announced.Add(message.Message.ToString());
            }
        });
        using var publisher = platform.Publisher();

        await publisher.CreateAsync(id, CatalogTestData.Metadata(access: "paid", productId: "hr-analytics"));
        var created = await ReadAsync(redis, id);
        await publisher.PublishOkAsync(id, "a\n1\n");
        var published = await ReadAsync(redis, id);
        await publisher.CreateAsync(id, CatalogTestData.Metadata(access: "restricted"));
        var restricted = await ReadAsync(redis, id);
        using (await publisher.DeleteAsync($"/api/v1/datasets/{id}"))
        {
        }

        var deleted = await ReadAsync(redis, id);

        Assert.Equal(new DatasetDescriptor(id, AccessLevel.Paid, "hr-analytics", 0), created);
        Assert.Equal(1, published!.CurrentVersion);
        Assert.Equal(Entitlements.Dataset(id), restricted!.RequiredEntitlement);
        Assert.True(deleted!.Deleted);
        await WaitUntilAsync(() =>
        {
            lock (announced)
            {
                return announced.Count(m => m == Invalidation.Dataset(id)) >= 4;
            }
        });
    }

    [Fact]
    public async Task The_sample_datasets_have_descriptors_after_start()
    {
        await SampleData.SampleDataTests.EnsureSeededAsync(platform);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(platform.Platform.RedisConnectionString);

        var paid = await ReadAsync(redis, "bien-che-cong-chuc-theo-tinh");
        var restricted = await ReadAsync(redis, "ho-so-dieu-dong-can-bo");

        Assert.Equal(AccessLevel.Paid, paid!.AccessLevel);
        Assert.Equal("hr-analytics", paid.ProductId);
        Assert.Equal(1, paid.CurrentVersion);
        Assert.Equal(AccessLevel.Restricted, restricted!.AccessLevel);
    }

    static async Task<DatasetDescriptor?> ReadAsync(ConnectionMultiplexer redis, string id) =>
        ContractJson.Deserialize<DatasetDescriptor>(await redis.GetDatabase().StringGetAsync(RedisKeys.Dataset(id)));

    static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class DescriptorTests_Embedded(CatalogEmbeddedFixture platform) : DescriptorTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class DescriptorTests_Production(CatalogProductionFixture platform) : DescriptorTests(platform);
