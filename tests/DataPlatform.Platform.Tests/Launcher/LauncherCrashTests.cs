using DataPlatform.AppHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DataPlatform.Platform.Tests.Launcher;

/// <summary>
/// The one-command launcher when one of its services stops on its own: the operator is told which one, the
/// others are stopped rather than left running half a platform, and the process exits non-zero.
/// </summary>
public sealed class LauncherCrashTests : IDisposable
{
    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "dataplatform-tests", Guid.NewGuid().ToString("N"));

    Dictionary<string, string?> Settings() => new()
    {
        ["DataPlatform:DataDirectory"] = _dataDirectory,
        ["DataPlatform:GatewayUrl"] = "http://127.0.0.1:0",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    };

    [Theory]
    [InlineData("catalog")]
    [InlineData("billing")]
    [InlineData("gateway")]
    public async Task A_service_that_stops_on_its_own_is_named_the_others_stop_and_the_exit_code_is_not_zero(string service)
    {
        var platform = await PlatformLauncher.StartAsync([], Settings(), CancellationToken.None);
        var error = new StringWriter();
        var running = PlatformRunner.RunAsync(platform, error, CancellationToken.None);
        var gatewayUrl = platform.GatewayUrl;
        var lifetimes = Lifetimes(platform);

        lifetimes[service].StopApplication();
        // A guard against a hang, not a claim about speed.
        var exitCode = await running.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(PlatformRunner.ServiceFailed, exitCode);
        Assert.Contains($"the {service} service stopped", error.ToString());
        Assert.Contains("Stopping the other services", error.ToString());
        Assert.All(lifetimes.Values, lifetime => Assert.True(lifetime.ApplicationStopped.IsCancellationRequested));

        using var client = PlatformFixture.OutsideClient(gatewayUrl);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/health/ready"));
    }

    [Fact]
    public async Task A_stop_that_was_asked_for_stops_every_service_quietly_with_exit_code_zero()
    {
        var platform = await PlatformLauncher.StartAsync([], Settings(), CancellationToken.None);
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var running = PlatformRunner.RunAsync(platform, error, stop.Token);
        var lifetimes = Lifetimes(platform);

        await stop.CancelAsync();
        var exitCode = await running.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(PlatformRunner.Stopped, exitCode);
        Assert.Equal("", error.ToString());
        Assert.All(lifetimes.Values, lifetime => Assert.True(lifetime.ApplicationStopped.IsCancellationRequested));
    }

    static Dictionary<string, IHostApplicationLifetime> Lifetimes(RunningPlatform platform) =>
        platform.Hosts.ToDictionary(s => s.Name, s => s.App.Services.GetRequiredService<IHostApplicationLifetime>());

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
