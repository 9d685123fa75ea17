using System.Diagnostics;
using DataPlatform.ServiceDefaults.Redis;

namespace DataPlatform.Gateway.Tests.Support;

/// <summary>
/// A gateway in a process of its own (the gateway assembly the tests are built with, run by <c>dotnet</c>), for
/// the tests that must end it the way an operator's <c>kill -9</c> or the OOM killer would.
/// </summary>
public sealed class GatewayProcess : IDisposable
{
    readonly Process _process;
    readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    GatewayProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    /// <summary>Where the process listens.</summary>
    public string Url { get; }

    /// <summary>Everything the process has written to its standard output and error so far.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Starts the process in front of the scenario's upstream and Redis, with <paramref name="settings"/> on top.</summary>
    public static async Task<GatewayProcess> StartAsync(GatewayScenario scenario, string dataDirectory, params (string Key, string Value)[] settings)
    {
        var url = $"http://127.0.0.1:{EmbeddedRedisServer.FreeLoopbackPort()}";
        var all = scenario.GatewaySettings(dataDirectory);
        all["DataPlatform:GatewayUrl"] = url;
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DataPlatform.Gateway.dll"));
        foreach (var (key, value) in all)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var process = Process.Start(start)!;
        var running = new GatewayProcess(process, url);
        process.OutputDataReceived += (_, line) => running.Keep(line.Data);
        process.ErrorDataReceived += (_, line) => running.Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if ((await client.GetAsync("/health/live")).IsSuccessStatusCode)
                {
                    return running;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
            }

            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                running.Dispose();
                throw new InvalidOperationException($"The gateway process did not start (exited: {process.HasExited}).");
            }

            await Task.Delay(100);
        }
    }

    void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    /// <summary>Ends the process with SIGKILL: no shutdown, no final flush, no unlocking but the kernel's.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
