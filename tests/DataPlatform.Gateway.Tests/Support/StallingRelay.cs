using System.Net;
using System.Net.Sockets;

namespace DataPlatform.Gateway.Tests.Support;

/// <summary>
/// A TCP relay in front of a test's real Redis that can stall: while stalled it keeps every connection open and
/// passes nothing either way, as a Redis stuck in a long command or behind a congested network would. A stopped
/// Redis refuses connections at once; only a stalled one shows whether the gateway's own timeouts hold.
/// </summary>
public sealed class StallingRelay : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly int _targetPort;
    readonly CancellationTokenSource _stop = new();
    TaskCompletionSource _flowing = new(TaskCreationOptions.RunContinuationsAsynchronously);

    StallingRelay(int targetPort)
    {
        _targetPort = targetPort;
        _flowing.SetResult();
        _listener.Start();
        _ = AcceptAsync();
    }

    public string ConnectionString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public static StallingRelay Start(int targetPort) => new(targetPort);

    /// <summary>From now on, bytes in either direction wait until <see cref="Resume"/>.</summary>
    public void Stall() => Volatile.Write(ref _flowing, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Lets the held bytes and everything after them through.</summary>
    public void Resume() => Volatile.Read(ref _flowing).TrySetResult();

    async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient { NoDelay = true };
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                client.NoDelay = true;
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Disposed, or the Redis behind the relay is gone.
        }
    }

    async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.GetStream().ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                await Volatile.Read(ref _flowing).Task.WaitAsync(_stop.Token);
                await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side closed, or the relay is disposed.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
