using DataPlatform.AppHost;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;
using Yarp.ReverseProxy.Configuration;

// The three setups of bench/gateway.sh, one per process so that none shares a thread pool or GC with another:
//   GatewayBench upstream <url>                           a fixed 1 KB JSON body, like the catalog's smallest answer;
//                                                         a path ending in /download streams 50 MiB instead
//   GatewayBench yarp <url> <upstream>                    a bare YARP pass-through, one route, no middleware
//   GatewayBench gateway <url> <upstream> <redis> <data>  the full gateway: keys, limits, quotas, metering
// The gateway role issues one API key (limits far above what the machine can send) and prints it, and describes the
// dataset it reads as published and open.
// Each role runs until it gets SIGTERM (or Ctrl+C).
var role = args[0];
var url = args[1];
WebApplication? app = null;
RunningGateway? gateway = null;
switch (role)
{
    case "upstream":
        var body = System.Text.Encoding.UTF8.GetBytes(
            "{\"value\":[" + string.Join(",", Enumerable.Range(0, 12).Select(i => $"{{\"id\":{i},\"name\":\"Bộ Nội vụ {i}\",\"code\":\"{i:D8}\"}}")) + "]}");
        var upstream = WebApplication.CreateSlimBuilder();
        upstream.WebHost.UseUrls(url);
        upstream.Logging.ClearProviders();
        app = upstream.Build();
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        app.Run(async context =>
        {
            if (context.Request.Path.Value!.EndsWith("/download", StringComparison.Ordinal))
            {
                // A large file streamed in 64 KiB writes, as a download endpoint streams a stored file.
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = 800L * chunk.Length;
                for (var i = 0; i < 800; i++)
                {
                    await context.Response.Body.WriteAsync(chunk);
                }

                return;
            }

            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        });
        await app.StartAsync();
        break;
    case "yarp":
        var bare = WebApplication.CreateSlimBuilder();
        bare.WebHost.UseUrls(url);
        bare.Logging.ClearProviders();
        bare.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "/{**rest}" } }],
            [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig> { ["a"] = new() { Address = args[2] } } }]);
        app = bare.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        break;
    case "gateway":
        var redis = args[3];
        gateway = await PlatformLauncher.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["DataPlatform:GatewayUrl"] = url,
            ["DataPlatform:Redis"] = redis,
            ["DataPlatform:CatalogUrl"] = args[2],
            ["DataPlatform:BillingUrl"] = args[2],
            ["DataPlatform:DataDirectory"] = args[4],
            ["DataPlatform:ConsumerContextSecret"] = new string('s', 40),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:Console:FormatterName"] = "simple",
        }, CancellationToken.None);
        var key = ApiKeyFormat.Generate();
        using (var connection = await ConnectionMultiplexer.ConnectAsync(redis))
        {
            var descriptor = new ApiKeyDescriptor("bench", "bench-account", "bench-account", ApiKeyStatus.Active, null,
                new PlanLimits("bench", 10_000_000, 100_000_000, 0, 0, ["2xx"]), [], []);
            await connection.GetDatabase().StringSetAsync(RedisKeys.ApiKey(ApiKeyFormat.Hash(key)), ContractJson.Serialize(descriptor));
            // The dataset the benchmark reads, as the catalog describes every published dataset: open to anyone.
            await connection.GetDatabase().StringSetAsync(RedisKeys.Dataset("population"),
                ContractJson.Serialize(new DatasetDescriptor("population", AccessLevel.Open, null, 1)));
        }

        Console.WriteLine($"key={key}");
        break;
    default:
        throw new ArgumentException($"Unknown role '{role}'.");
}

Console.WriteLine("ready");
Console.Out.Flush();
var lifetime = (gateway?.App ?? app!).Lifetime;
var stopping = new TaskCompletionSource();
lifetime.ApplicationStopping.Register(stopping.SetResult);
await stopping.Task;
if (gateway is not null)
{
    await gateway.DisposeAsync();
}

if (app is not null)
{
    await app.DisposeAsync();
}
