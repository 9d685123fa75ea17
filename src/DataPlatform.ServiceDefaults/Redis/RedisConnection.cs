using DataPlatform.ServiceDefaults.Configuration;
using StackExchange.Redis;

namespace DataPlatform.ServiceDefaults.Redis;

/// <summary>Creates the one Redis multiplexer a process uses.</summary>
public static class RedisConnection
{
    /// <summary>
    /// Connects to <paramref name="connectionString"/>. The connection does not fail when Redis is down:
    /// the multiplexer keeps retrying in the background and the readiness check reports the outage.
    /// </summary>
    public static IConnectionMultiplexer Connect(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
        options.SyncTimeout = Math.Min(options.SyncTimeout, 1000);
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 1000);
        options.ClientName ??= "dataplatform";
        return ConnectionMultiplexer.Connect(options);
    }

    /// <summary>The configured connection string, or the embedded server's when none is configured.</summary>
    internal static string Resolve(PlatformOptions options, Lazy<EmbeddedRedisServer> embedded) =>
        options.UsesEmbeddedRedis ? embedded.Value.ConnectionString : options.Redis!;
}
