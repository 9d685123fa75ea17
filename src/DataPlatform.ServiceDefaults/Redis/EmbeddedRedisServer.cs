using System.Net;
using System.Net.Sockets;
using Garnet;
using Garnet.server;
using Microsoft.Extensions.Logging;

namespace DataPlatform.ServiceDefaults.Redis;

/// <summary>
/// A Garnet server hosted in this process on a loopback port, standing in for Redis when no Redis
/// connection string is configured. Lua is on, because the gateway's limiter is a Lua script, and an
/// append-only log in the data directory lets a second start keep the counters of the first.
/// </summary>
public sealed class EmbeddedRedisServer : IDisposable
{
    readonly GarnetServer _server;

    EmbeddedRedisServer(GarnetServer server, int port)
    {
        _server = server;
        Port = port;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Starts a server.</summary>
    /// <param name="storageDirectory">Where the log and checkpoints go, or <c>null</c> for memory only.</param>
    /// <param name="port">The port to listen on, or 0 for a free one.</param>
    /// <param name="loggerFactory">Where Garnet logs.</param>
    public static EmbeddedRedisServer Start(string? storageDirectory, int port = 0, ILoggerFactory? loggerFactory = null)
    {
        if (port == 0)
        {
            port = FreeLoopbackPort();
        }

        var logger = loggerFactory?.CreateLogger("Garnet");
        var options = new GarnetServerOptions(logger)
        {
            EndPoints = [new IPEndPoint(IPAddress.Loopback, port)],
            IndexMemorySize = "16m",
            LogMemorySize = "64m",
            EnableLua = true,
            // Garnet throws from its constructor when Lua is on without Lua options.
            LuaOptions = new LuaOptions(logger),
            // Redis runs every script atomically; Garnet does so only in transaction mode (it locks the declared
            // KEYS for the script's duration). Without it, concurrent limiter scripts interleave and over-admit.
            LuaTransactionMode = true,
            QuietMode = true,
        };

        if (storageDirectory is not null)
        {
            Directory.CreateDirectory(storageDirectory);
            // The managed device needs no native libaio, which a fresh Debian machine does not have.
            options.DeviceType = Tsavorite.core.DeviceType.RandomAccess;
            options.EnableStorageTier = true;
            options.LogDir = storageDirectory;
            options.CheckpointDir = storageDirectory;
            options.EnableAOF = true;
            options.CommitFrequencyMs = 100;
            options.Recover = true;
        }

        var server = new GarnetServer(options, loggerFactory);
        server.Start();
        return new EmbeddedRedisServer(server, port);
    }

    /// <summary>Finds a loopback port that is free at this moment.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public void Dispose() => _server.Dispose();
}
