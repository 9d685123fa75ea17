using System.Net;
using System.Net.Sockets;
using DataPlatform.AppHost;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Gateway.Tests.Support;

/// <summary>
/// One test's world: an echo upstream, gateway instances in front of it on the fixture's Redis (or another),
/// and descriptors written straight into Redis exactly as billing and the catalog write them.
/// </summary>
public sealed class GatewayScenario : IAsyncDisposable
{
    readonly PlatformFixture _platform;
    readonly List<RunningGateway> _gateways = [];
    readonly List<string> _folders = [];

    GatewayScenario(PlatformFixture platform, EchoUpstream upstream, ConnectionMultiplexer redis, string redisConnection)
    {
        _platform = platform;
        Upstream = upstream;
        Redis = redis;
        RedisConnection = redisConnection;
    }

    public EchoUpstream Upstream { get; }

    public ConnectionMultiplexer Redis { get; }

    public string RedisConnection { get; }

    public IDatabase Database => Redis.GetDatabase();

    /// <summary>A unique suffix for ids this test makes.</summary>
    public string Unique { get; } = Guid.NewGuid().ToString("N")[..10];

    public static async Task<GatewayScenario> StartAsync(PlatformFixture platform, string? redisConnection = null)
    {
        var connection = redisConnection ?? platform.Platform.RedisConnectionString;
        var upstream = await EchoUpstream.StartAsync(platform.ConsumerContextSecret);
        var options = ConfigurationOptions.Parse(connection);
        options.AbortOnConnectFail = false;
        var redis = await ConnectionMultiplexer.ConnectAsync(options);
        return new GatewayScenario(platform, upstream, redis, connection);
    }

    /// <summary>Starts a gateway instance in front of the echo upstream, with <paramref name="settings"/> on top.</summary>
    public async Task<RunningGateway> StartGatewayAsync(params (string Key, string? Value)[] settings)
    {
        var folder = Path.Combine(_platform.DataDirectory, "gateway-" + Guid.NewGuid().ToString("N")[..8]);
        _folders.Add(folder);
        return await StartGatewayInAsync(folder, settings);
    }

    /// <summary>Starts a gateway whose data directory is <paramref name="folder"/>, for tests that reuse one.</summary>
    public async Task<RunningGateway> StartGatewayInAsync(string folder, params (string Key, string? Value)[] settings)
    {
        var all = GatewaySettings(folder);
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var gateway = await PlatformLauncher.StartGatewayAsync(all, CancellationToken.None);
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>The settings of a gateway in front of the echo upstream and this scenario's Redis, with <paramref name="folder"/> as its data directory.</summary>
    public Dictionary<string, string?> GatewaySettings(string folder)
    {
        var all = _platform.Platform.GatewaySettings(folder);
        all["DataPlatform:Redis"] = RedisConnection;
        all["DataPlatform:CatalogUrl"] = Upstream.Url;
        all["Gateway:Metering:FlushIntervalMilliseconds"] = "100";
        all["Logging:LogLevel:Default"] = "Warning";
        all["Logging:Console:FormatterName"] = "simple";
        return all;
    }

    public static HttpClient Client(RunningGateway gateway) => PlatformFixture.OutsideClient(gateway.Url);

    /// <summary>
    /// A client whose connections come from <paramref name="source"/>, an address in 127.0.0.0/8, so that a
    /// test's anonymous calls are limited apart from every other test's (all of loopback reaches the gateway).
    /// </summary>
    public static HttpClient ClientFrom(RunningGateway gateway, IPAddress source) =>
        new(HandlerFrom(source)) { BaseAddress = new Uri(gateway.Url) };

    /// <summary>A handler whose connections come from <paramref name="source"/> (see <see cref="ClientFrom"/>).</summary>
    public static SocketsHttpHandler HandlerFrom(IPAddress source) =>
        new SocketsHttpHandler
        {
            ActivityHeadersPropagator = null,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };

    /// <summary>A loopback address no other test uses.</summary>
    public static IPAddress UniqueLoopback() =>
        new([127, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(0, 256), (byte)Random.Shared.Next(1, 255)]);

    /// <summary>A plan with the given limits, billable on 2xx.</summary>
    public static PlanLimits Plan(int burst = 1000, int perMinute = 100_000, long monthly = 0, long monthlyBytes = 0) =>
        new("developer", burst, perMinute, monthly, monthlyBytes, ["2xx"]);

    /// <summary>Issues a key the way billing does: its descriptor under the key's hash, then an invalidation.</summary>
    public async Task<(string Key, ApiKeyDescriptor Descriptor)> IssueKeyAsync(
        PlanLimits? plan = null, ApiKeyStatus status = ApiKeyStatus.Active, DateTimeOffset? expiresAt = null, params string[] entitlements)
    {
        var key = ApiKeyFormat.Generate();
        var account = "acct-" + Guid.NewGuid().ToString("N")[..10];
        var descriptor = new ApiKeyDescriptor("key-" + Unique, account, account, status, expiresAt, plan ?? Plan(), [], entitlements);
        await WriteKeyAsync(key, descriptor);
        return (key, descriptor);
    }

    public async Task WriteKeyAsync(string key, ApiKeyDescriptor descriptor)
    {
        var hash = ApiKeyFormat.Hash(key);
        await Database.StringSetAsync(RedisKeys.ApiKey(hash), ContractJson.Serialize(descriptor));
        await Database.PublishAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), Invalidation.ApiKey(hash));
    }

    /// <summary>Publishes a dataset the way the catalog does, and returns its id.</summary>
    public async Task<string> PublishDatasetAsync(AccessLevel access, string? productId = null, string? datasetId = null)
    {
        var id = datasetId ?? "ds-" + Guid.NewGuid().ToString("N")[..12];
        await Database.StringSetAsync(RedisKeys.Dataset(id), ContractJson.Serialize(new DatasetDescriptor(id, access, productId, 1)));
        await Database.PublishAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), Invalidation.Dataset(id));
        return id;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, or fails after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds} s waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
