using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DataPlatform.AppHost;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Gateway.Tests.Support;

/// <summary>
/// One test's world on the fixture's whole platform: datasets published through the real catalog, which writes
/// their descriptors itself, and keys written into Redis exactly as billing writes them, all read through the
/// fixture's gateway.
/// </summary>
public sealed class CatalogScenario : IAsyncDisposable
{
    readonly PlatformFixture _platform;
    readonly List<RunningGateway> _gateways = [];

    CatalogScenario(PlatformFixture platform, ConnectionMultiplexer redis)
    {
        _platform = platform;
        Redis = redis;
    }

    public ConnectionMultiplexer Redis { get; }

    public IDatabase Database => Redis.GetDatabase();

    public static async Task<CatalogScenario> StartAsync(PlatformFixture platform) =>
        new(platform, await ConnectionMultiplexer.ConnectAsync(platform.Platform.RedisConnectionString));

    /// <summary>
    /// A client of the fixture's gateway whose connections come from a loopback address no other test uses, so
    /// that its anonymous calls are limited apart from every other test's.
    /// </summary>
    public HttpClient Client(string? key = null)
    {
        var source = GatewayScenario.UniqueLoopback();
        var client = new HttpClient(GatewayScenario.HandlerFrom(source)) { BaseAddress = new Uri(_platform.Platform.GatewayUrl) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", key);
        }

        return client;
    }

    /// <summary>
    /// Publishes a two-row dataset with Vietnamese text through the catalog's own API (metadata, then a CSV
    /// version), as a publisher does, and returns its id once the gateway can see its descriptor.
    /// </summary>
    public async Task<string> PublishAsync(AccessLevel access, string? productId = null)
    {
        var id = "gw-" + access.ToString().ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N")[..10];
        using var publisher = _platform.CreateCatalogClient(PlatformFixture.Consumer("acct-gw-publisher", Roles.Publisher));
        var metadata = new JsonObject
        {
            ["title"] = new JsonObject { ["vi"] = "Số cán bộ theo tỉnh (thử nghiệm)", ["en"] = "Staff by province (test)" },
            ["description"] = new JsonObject { ["vi"] = "Dữ liệu do bài kiểm thử của cổng tạo ra.", ["en"] = "Made up by a gateway test." },
            ["publisher"] = new JsonObject { ["id"] = "vu-to-chuc-bien-che", ["name"] = "Vụ Tổ chức - Biên chế" },
            ["contactPoint"] = new JsonObject { ["name"] = "Phòng Dữ liệu", ["email"] = "dulieu@example.vn" },
            ["themes"] = new JsonArray("Công vụ"),
            ["keywords"] = new JsonArray("cán bộ"),
            ["licence"] = new JsonObject { ["id"] = "CC-BY-4.0", ["url"] = "https://creativecommons.org/licenses/by/4.0/" },
            ["accessLevel"] = access.ToString().ToLowerInvariant(),
            ["productId"] = productId,
            ["accrualPeriodicity"] = "ANNUAL",
            ["synthetic"] = true,
            ["syntheticDescription"] = "Made up by a gateway test.",
            ["columns"] = new JsonArray(),
        };
        using (var put = await publisher.PutAsJsonAsync($"/api/v1/datasets/{id}", metadata))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var csv = new ByteArrayContent(Encoding.UTF8.GetBytes("province_code,province,staff\n79,Hồ Chí Minh,410\n01,Hà Nội,250\n"));
        csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        using (var publish = await publisher.PostAsync($"/api/v1/datasets/{id}/versions", csv))
        {
            Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync());
        }

        await GatewayScenario.EventuallyAsync(
            async () => await Database.KeyExistsAsync(RedisKeys.Dataset(id))
                && ContractJson.Deserialize<DatasetDescriptor>((string?)await Database.StringGetAsync(RedisKeys.Dataset(id)))?.CurrentVersion > 0,
            TimeSpan.FromSeconds(10), $"the catalog to write the descriptor of {id}");
        return id;
    }

    /// <summary>Issues a key the way billing does: its descriptor under the key's hash, then an invalidation.</summary>
    public async Task<(string Key, ApiKeyDescriptor Descriptor)> IssueKeyAsync(PlanLimits? plan = null, params string[] entitlements)
    {
        var key = ApiKeyFormat.Generate();
        var account = "acct-" + Guid.NewGuid().ToString("N")[..10];
        var descriptor = new ApiKeyDescriptor("key-" + account, account, account, ApiKeyStatus.Active, null, plan ?? GatewayScenario.Plan(), [], entitlements);
        var hash = ApiKeyFormat.Hash(key);
        await Database.StringSetAsync(RedisKeys.ApiKey(hash), ContractJson.Serialize(descriptor));
        await Database.PublishAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), Invalidation.ApiKey(hash));
        return (key, descriptor);
    }

    /// <summary>Issues a key whose account holds the publisher role, as billing does for a publishing agency.</summary>
    public async Task<string> IssuePublisherKeyAsync()
    {
        var (key, descriptor) = await IssueKeyAsync();
        var hash = ApiKeyFormat.Hash(key);
        await Database.StringSetAsync(RedisKeys.ApiKey(hash), ContractJson.Serialize(descriptor with { Roles = [Roles.Publisher] }));
        await Database.PublishAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), Invalidation.ApiKey(hash));
        return key;
    }

    /// <summary>
    /// Starts a gateway of this test's own in front of the fixture's catalog and billing, on the fixture's Redis,
    /// with <paramref name="settings"/> on top (limits a test needs that the fixture's gateway does not have).
    /// </summary>
    public async Task<RunningGateway> StartGatewayAsync(params (string Key, string? Value)[] settings)
    {
        var all = _platform.Platform.GatewaySettings(Path.Combine(_platform.DataDirectory, "gateway-" + Guid.NewGuid().ToString("N")[..8]));
        all["Logging:LogLevel:Default"] = "Warning";
        all["Logging:Console:FormatterName"] = "simple";
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var gateway = await PlatformLauncher.StartGatewayAsync(all, CancellationToken.None);
        _gateways.Add(gateway);
        return gateway;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await Redis.DisposeAsync();
    }
}
