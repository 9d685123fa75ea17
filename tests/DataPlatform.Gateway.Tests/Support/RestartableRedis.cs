using System.Diagnostics;
using System.Net.Sockets;
using DataPlatform.ServiceDefaults.Redis;

namespace DataPlatform.Gateway.Tests.Support;

/// <summary>
/// A Redis of this test's own that it may stop and start again on the same port and storage, leaving the
/// shared servers alone: a redis-server from <c>DATAPLATFORM_TEST_REDIS_SERVER_BIN</c> with an fsync'd
/// append-only file on the production backend, an <see cref="EmbeddedRedisServer"/> on the embedded one.
/// </summary>
public sealed class RestartableRedis : IAsyncDisposable
{
    readonly Backend _backend;
    readonly string _folder;
    Process? _process;
    EmbeddedRedisServer? _embedded;

    RestartableRedis(Backend backend, string folder)
    {
        _backend = backend;
        _folder = folder;
        Port = EmbeddedRedisServer.FreeLoopbackPort();
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RestartableRedis> StartAsync(Backend backend, string folder)
    {
        Directory.CreateDirectory(folder);
        var redis = new RestartableRedis(backend, folder);
        await redis.StartAsync();
        return redis;
    }

    public async Task StartAsync()
    {
        if (_backend == Backend.Embedded)
        {
            _embedded = EmbeddedRedisServer.Start(_folder, Port);
        }
        else
        {
            var binary = Environment.GetEnvironmentVariable("DATAPLATFORM_TEST_REDIS_SERVER_BIN") is { Length: > 0 } path
                ? path
                : throw new InvalidOperationException("DATAPLATFORM_TEST_REDIS_SERVER_BIN is not set. Run the suite with ./test.sh.");
            _process = Process.Start(new ProcessStartInfo(binary,
                ["--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 "--dir", _folder, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            _process.OutputDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Stops the server: redis-server by SIGTERM (which writes its append-only file), Garnet by disposing it.</summary>
    public async Task StopAsync()
    {
        if (_embedded is not null)
        {
            _embedded.Dispose();
            _embedded = null;
        }

        if (_process is not null)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            await _process.WaitForExitAsync();
            _process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
