using System.Net;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.RateLimiting;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.Metering;

/// <summary>Usage counted into the counters billing harvests: complete, per product and status class, never twice.</summary>
public abstract class MeteringTests(PlatformFixture platform)
{
    [Fact]
    public async Task Completed_responses_are_counted_per_consumer_product_hour_and_status_class_with_their_bytes()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var product = "feed-" + scenario.Unique;
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Paid, product);
        var (key, descriptor) = await scenario.IssueKeyAsync(GatewayScenario.Plan(monthly: 100, monthlyBytes: 1_000_000), entitlements: Entitlements.Product(product));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        var hour = DateTimeOffset.UtcNow;

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/odata/{dataset}/rows?bytes=1000")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.InternalServerError, (await client.GetAsync($"/odata/{dataset}/rows?bytes=10&status=500")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/catalog/datasets?bytes=7")).StatusCode);

        var usage = RedisKeys.Usage(descriptor.ConsumerId, hour);
        await GatewayScenario.EventuallyAsync(
            async () => (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")) == 1,
            TimeSpan.FromSeconds(10), "the usage to be flushed");
        Assert.Equal(3, (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(product, "2xx")));
        Assert.Equal(3000, (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(product, "2xx")));
        Assert.Equal(1, (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(product, "5xx")));
        Assert.Equal(10, (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(product, "5xx")));
        Assert.Equal(7, (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(null, "2xx")));
        Assert.True(await scenario.Database.SetContainsAsync(RedisKeys.UsageIndex(hour), descriptor.ConsumerId));

        // The monthly byte quota is fed by the billable bytes; the 500 gave its unit of request quota back.
        var month = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture);
        var prefix = RedisKeys.LimiterPrefix(descriptor.ConsumerId);
        Assert.Equal(3007, (long)await scenario.Database.HashGetAsync(prefix + RedisLimiter.QuotaSuffix, RedisLimiter.BytesField(month)));
        Assert.Equal(4, (long)await scenario.Database.HashGetAsync(prefix + RedisLimiter.QuotaSuffix, RedisLimiter.RequestsField(month)));
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task Which_responses_use_up_the_monthly_quota_is_the_plans_billable_definition(bool billsClientErrors, long charged)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        // The default bills 2xx only; a plan may bill 4xx as well.
        var plan = GatewayScenario.Plan(monthly: 100) with { BillableStatusClasses = billsClientErrors ? ["2xx", "4xx"] : [] };
        var (key, descriptor) = await scenario.IssueKeyAsync(plan);
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        var usage = RedisKeys.Usage(descriptor.ConsumerId, DateTimeOffset.UtcNow);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/odata/any/rows?status=404&bytes=10")).StatusCode);

        await GatewayScenario.EventuallyAsync(
            async () => (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "4xx")) == 1,
            TimeSpan.FromSeconds(10), "the usage to be flushed");
        var month = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(charged, (long)await scenario.Database.HashGetAsync(
            RedisKeys.LimiterPrefix(descriptor.ConsumerId) + RedisLimiter.QuotaSuffix, RedisLimiter.RequestsField(month)));
    }

    [Fact]
    public async Task A_consumer_over_its_monthly_byte_quota_is_refused_once_the_bytes_are_metered()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(monthlyBytes: 5000));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/datasets/any/download?bytes=6000")).StatusCode);

        await GatewayScenario.EventuallyAsync(
            async () => (await client.GetAsync("/api/v1/datasets/any/download?bytes=1")).StatusCode == HttpStatusCode.TooManyRequests,
            TimeSpan.FromSeconds(10), "the byte quota to be used up");
        using var refused = await client.GetAsync("/api/v1/datasets/any");
        Assert.Contains("\"monthly-bytes\";r=0;", refused.Headers.GetValues("RateLimit").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_process_killed_with_sigkill_loses_no_completed_response_and_counts_none_twice()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var folder = Path.Combine(platform.DataDirectory, "killed-" + scenario.Unique);
        var (key, descriptor) = await scenario.IssueKeyAsync(GatewayScenario.Plan(monthly: 1000));
        var usage = RedisKeys.Usage(descriptor.ConsumerId, DateTimeOffset.UtcNow);
        // A real process of its own, so that the kernel, not the test, ends it. It would flush only after a minute.
        using var process = await GatewayProcess.StartAsync(scenario, folder, ("Gateway:Metering:FlushIntervalMilliseconds", "60000"));
        using (var client = PlatformFixture.OutsideClient(process.Url))
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/odata/any/rows?bytes=100")).StatusCode);
            }
        }

        // Each response is journaled as it ends; once none is in flight, all twenty are on disk and none in Redis.
        var journal = Path.Combine(folder, "gateway-usage");
        await GatewayScenario.EventuallyAsync(
            () => Task.FromResult(Directory.EnumerateFiles(journal, "*.open", SearchOption.AllDirectories).Sum(file => File.ReadAllLines(file).Length) == 20),
            TimeSpan.FromSeconds(10), "the twenty responses to be journaled");
        process.Kill();
        Assert.False(await scenario.Database.KeyExistsAsync(usage));

        // The next gateway on the same data directory adopts the dead one's journal and adds it once.
        var next = await scenario.StartGatewayInAsync(folder);
        await GatewayScenario.EventuallyAsync(
            async () => (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")) == 20,
            TimeSpan.FromSeconds(20), "the killed gateway's usage to be added");
        await next.DisposeAsync();
        var again = await scenario.StartGatewayInAsync(folder);
        await again.DisposeAsync();

        Assert.Equal(20, (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")));
        Assert.Equal(2000, (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(null, "2xx")));
        Assert.DoesNotContain(Directory.EnumerateFiles(journal, "*", SearchOption.AllDirectories), file => !file.EndsWith("lock", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_spool_replayed_after_a_crash_is_counted_once()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var folder = Path.Combine(platform.DataDirectory, "crash-" + scenario.Unique);
        var consumer = "crashed-" + scenario.Unique;
        var now = DateTimeOffset.UtcNow;
        var line = $"{now.ToUnixTimeSeconds()}\t{consumer}\t-\t200\t100\t1\t-\n";
        // What a gateway killed with -9 leaves behind: its folder, with an unfinished segment of five records.
        WriteOrphan(folder, "dead-instance", string.Concat(Enumerable.Repeat(line, 5)) + "17000");

        var gateway = await scenario.StartGatewayInAsync(folder);
        var usage = RedisKeys.Usage(consumer, now);
        await GatewayScenario.EventuallyAsync(
            async () => (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")) == 5,
            TimeSpan.FromSeconds(15), "the orphaned spool to be flushed");
        await gateway.DisposeAsync();

        // The same segment again, as if the first flush had reached Redis but the gateway died before deleting it.
        WriteOrphan(folder, "dead-instance", string.Concat(Enumerable.Repeat(line, 5)));
        var again = await scenario.StartGatewayInAsync(folder);
        await GatewayScenario.EventuallyAsync(
            () => Task.FromResult(!Directory.Exists(Path.Combine(folder, "gateway-usage", "dead-instance"))),
            TimeSpan.FromSeconds(15), "the replayed spool to be adopted");

        Assert.Equal(5, (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")));
        Assert.Equal(500, (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(null, "2xx")));
    }

    [Fact]
    public async Task Redis_stopped_and_restarted_mid_test_loses_and_doubles_no_count()
    {
        var redisFolder = Path.Combine(platform.DataDirectory, "restart-redis-" + Guid.NewGuid().ToString("N")[..8]);
        await using var redis = await RestartableRedis.StartAsync(platform.Backend, redisFolder);
        await using var scenario = await GatewayScenario.StartAsync(platform, redis.ConnectionString);
        var gateway = await scenario.StartGatewayAsync(("Gateway:Redis:OpenSeconds", "0.5"));
        var (key, descriptor) = await scenario.IssueKeyAsync(GatewayScenario.Plan(burst: 1000, monthly: 1000));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        var usage = RedisKeys.Usage(descriptor.ConsumerId, DateTimeOffset.UtcNow);
        var month = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/odata/any/rows?bytes=10")).StatusCode);
        }

        await GatewayScenario.EventuallyAsync(
            async () => (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")) == 10,
            TimeSpan.FromSeconds(10), "the first ten to be flushed");
        // The first ten must outlive the restart: redis-server writes its append-only file on every command
        // (appendfsync always), and Garnet, which commits its log every 100 ms, commits it at once when asked.
        if (platform.Backend == Backend.Embedded)
        {
            await scenario.Database.ExecuteAsync("COMMITAOF");
        }

        await redis.StopAsync();
        for (var i = 0; i < 15; i++)
        {
            using var response = await client.GetAsync("/odata/any/rows?bytes=10");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"local\"", response.Headers.GetValues("RateLimit-Policy").Single(), StringComparison.Ordinal);
        }

        await redis.StartAsync();
        await GatewayScenario.EventuallyAsync(
            async () => scenario.Redis.IsConnected && (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")) >= 25,
            TimeSpan.FromSeconds(20), "the spooled usage to be added");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/odata/any/rows?bytes=10")).StatusCode);
        }

        await gateway.DisposeAsync();
        Assert.Equal(30, (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")));
        Assert.Equal(300, (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(null, "2xx")));
        // The monthly quota counts the fifteen served under local limits too, once: 30 of 1000 used.
        Assert.Equal(30, (long)await scenario.Database.HashGetAsync(
            RedisKeys.LimiterPrefix(descriptor.ConsumerId) + RedisLimiter.QuotaSuffix, RedisLimiter.RequestsField(month)));
    }

    static void WriteOrphan(string dataDirectory, string instance, string content)
    {
        var folder = Path.Combine(dataDirectory, "gateway-usage", instance);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "000000000001.open"), content);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class MeteringTests_Embedded(EmbeddedPlatformFixture platform) : MeteringTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class MeteringTests_Production(ProductionPlatformFixture platform) : MeteringTests(platform);
