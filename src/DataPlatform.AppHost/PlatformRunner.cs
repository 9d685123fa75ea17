namespace DataPlatform.AppHost;

/// <summary>Why the platform stopped: asked to (Ctrl+C), or because one service stopped on its own.</summary>
/// <param name="Service">The service that stopped on its own, or <c>null</c> when the stop was asked for.</param>
/// <param name="Reason">Why, in words for the operator.</param>
public sealed record PlatformStop(string? Service, string Reason)
{
    /// <summary>The stop the operator asked for.</summary>
    public static PlatformStop AsRequested { get; } = new(null, "a stop was asked for");

    /// <summary>True when the operator asked for the stop; false when a service failed.</summary>
    public bool Requested => Service is null;
}

/// <summary>
/// Runs a started platform until it should stop, the way the one-command launcher does: all services share this
/// process, so when one of them stops on its own the others are stopped too, the operator is told which one
/// stopped and why, and the process exits non-zero for whatever supervises it.
/// </summary>
public static class PlatformRunner
{
    /// <summary>The exit code after a stop that was asked for.</summary>
    public const int Stopped = 0;

    /// <summary>The exit code after a service stopped on its own.</summary>
    public const int ServiceFailed = 1;

    /// <summary>
    /// Waits until <paramref name="stopRequested"/> is cancelled or a service stops on its own, stops every service,
    /// and returns the process's exit code. Messages for the operator go to <paramref name="error"/>.
    /// </summary>
    public static async Task<int> RunAsync(RunningPlatform platform, TextWriter error, CancellationToken stopRequested)
    {
        // An unhandled exception on any thread ends the process whatever is done here; what can be done is to say
        // so, name the service whose code threw when the stack shows it, and give the others a moment to stop.
        void OnUnhandledException(object? sender, UnhandledExceptionEventArgs e)
        {
            var exception = e.ExceptionObject as Exception;
            error.WriteLine($"DataPlatform: an unhandled exception in {ServiceOf(platform, exception)} ends this process and with it every service: "
                + $"{exception?.GetType().Name}: {exception?.Message}");
            error.Flush();
            try
            {
                platform.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
                // The process ends anyway; the exception above is the one worth reading.
            }
        }

        AppDomain.CurrentDomain.UnhandledException += OnUnhandledException;
        try
        {
            var stop = await platform.WaitForStopAsync(stopRequested);
            if (!stop.Requested)
            {
                await error.WriteLineAsync(
                    $"DataPlatform: the {stop.Service} service stopped: {stop.Reason}. Stopping the other services; see the log above for details.");
            }

            try
            {
                await platform.DisposeAsync();
            }
            catch (AggregateException e)
            {
                foreach (var inner in e.InnerExceptions)
                {
                    await error.WriteLineAsync($"DataPlatform: a service did not stop cleanly: {inner.GetType().Name}: {inner.Message}");
                }

                return ServiceFailed;
            }

            return stop.Requested ? Stopped : ServiceFailed;
        }
        finally
        {
            AppDomain.CurrentDomain.UnhandledException -= OnUnhandledException;
        }
    }

    /// <summary>The service whose assembly appears first in the exception's stack, or "one of the services".</summary>
    static string ServiceOf(RunningPlatform platform, Exception? exception)
    {
        var stack = exception?.ToString() ?? "";
        var found = platform.Hosts
            .Select(s => (s.Name, At: stack.IndexOf(s.App.Environment.ApplicationName + ".", StringComparison.Ordinal)))
            .Where(s => s.At >= 0).OrderBy(s => s.At).Select(s => s.Name).FirstOrDefault();
        return found is null ? "one of the services" : $"the {found} service";
    }
}

/// <summary>
/// The lifetime of a host run by the launcher: it neither listens for Ctrl+C nor stops the host by itself. The
/// launcher handles the signals once for the whole process and stops the hosts in order.
/// </summary>
sealed class LauncherHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
