using System.Net;
using DataPlatform.AppHost;
using DataPlatform.ServiceDefaults.ConsumerContext;
using DataPlatform.ServiceDefaults.Redis;

namespace DataPlatform.Platform.Tests.Launcher;

/// <summary>The one-command launcher on its embedded defaults.</summary>
public sealed class PlatformLauncherTests : IDisposable
{
    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "dataplatform-tests", Guid.NewGuid().ToString("N"));

    Dictionary<string, string?> Settings() => new()
    {
        ["DataPlatform:DataDirectory"] = _dataDirectory,
        ["DataPlatform:GatewayUrl"] = "http://127.0.0.1:0",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    };

    [Fact]
    public async Task A_second_start_reuses_the_data_of_the_first()
    {
        string firstSecret;
        await using (var first = await PlatformLauncher.StartAsync([], Settings(), CancellationToken.None))
        {
            firstSecret = await File.ReadAllTextAsync(Path.Combine(_dataDirectory, ConsumerContextSecret.FileName));
            var redis = RedisConnection.Connect(first.RedisConnectionString);
            await redis.GetDatabase().StringSetAsync("launcher-test", "kept");
            // The embedded server commits its append-only log every 100 ms, or at once when asked.
            await redis.GetDatabase().ExecuteAsync("COMMITAOF");
            await redis.DisposeAsync();
        }

        await using var second = await PlatformLauncher.StartAsync([], Settings(), CancellationToken.None);
        await using var again = RedisConnection.Connect(second.RedisConnectionString);

        Assert.Equal("kept", (string?)await again.GetDatabase().StringGetAsync("launcher-test"));
        Assert.Equal(firstSecret, await File.ReadAllTextAsync(Path.Combine(_dataDirectory, ConsumerContextSecret.FileName)));
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "catalog.db")));
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "billing.db")));
        using var client = PlatformFixture.OutsideClient(second.GatewayUrl);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task Embedded_redis_runs_lua_scripts()
    {
        await using var platform = await PlatformLauncher.StartAsync([], Settings(), CancellationToken.None);
        await using var redis = RedisConnection.Connect(platform.RedisConnectionString);

        var result = await redis.GetDatabase().ScriptEvaluateAsync("return redis.call('INCRBY', KEYS[1], ARGV[1])", ["lua-test"], [41]);

        Assert.Equal(41, (long)result);
        Assert.NotNull(platform.EmbeddedRedis);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
