using System.Text;
using DataPlatform.Billing;
using DataPlatform.Catalog;
using DataPlatform.Gateway;
using DataPlatform.Portal;
using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.ConsumerContext;
using DataPlatform.ServiceDefaults.Redis;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DataPlatform.AppHost;

/// <summary>
/// Starts the whole platform in this process: an embedded Garnet server when no Redis is configured, then
/// the catalog, billing and the portal on loopback ports, then the gateway in front of them. The one-command launcher
/// and the functional tests both start the platform through here, so the tests run what users run.
/// </summary>
public static class PlatformLauncher
{
    /// <summary>Starts the platform.</summary>
    /// <param name="args">Command-line arguments, passed to every service.</param>
    /// <param name="settings">Configuration that overrides every other source, or <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<RunningPlatform> StartAsync(
        string[] args, IReadOnlyDictionary<string, string?>? settings, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var options = configuration.GetSection(PlatformOptions.SectionName).Get<PlatformOptions>() ?? new PlatformOptions();
        var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());

        // Generate the shared secrets before the services start, so that none of them races to create them.
        ConsumerContextSecret.Load(options);
        PortalProxySecret.Load(options);

        EmbeddedRedisServer? redis = null;
        var running = new RunningPlatform(options);
        try
        {
            if (options.UsesEmbeddedRedis)
            {
                redis = EmbeddedRedisServer.Start(
                    Path.Combine(options.DataDirectoryPath, "redis"),
                    configuration.GetValue("DataPlatform:EmbeddedRedisPort", 0));
                running.EmbeddedRedis = redis;
                overrides["DataPlatform:Redis"] = redis.ConnectionString;
                // The embedded server is the launcher's own; the portal's cookie keys outlive it in the data directory.
                overrides.TryAdd("Portal:KeyStore", "files");
            }

            // Internal services listen on free ports unless an operator pinned them.
            if (configuration["DataPlatform:CatalogUrl"] is null)
            {
                overrides["DataPlatform:CatalogUrl"] = "http://127.0.0.1:0";
            }

            if (configuration["DataPlatform:BillingUrl"] is null)
            {
                overrides["DataPlatform:BillingUrl"] = "http://127.0.0.1:0";
            }

            if (configuration["DataPlatform:PortalUrl"] is null)
            {
                overrides["DataPlatform:PortalUrl"] = "http://127.0.0.1:0";
            }

            running.Catalog = CatalogHost.Build(args, builder => Configure(builder, overrides));
            running.Billing = BillingHost.Build(args, builder => Configure(builder, overrides));
            running.Portal = PortalHost.Build(args, builder => Configure(builder, overrides));
            await Task.WhenAll(
                running.Catalog.StartAsync(cancellationToken),
                running.Billing.StartAsync(cancellationToken),
                running.Portal.StartAsync(cancellationToken));

            running.CatalogUrl = ListeningAddress(running.Catalog);
            running.BillingUrl = ListeningAddress(running.Billing);
            running.PortalUrl = ListeningAddress(running.Portal);
            overrides["DataPlatform:CatalogUrl"] = running.CatalogUrl;
            overrides["DataPlatform:BillingUrl"] = running.BillingUrl;
            overrides["DataPlatform:PortalUrl"] = running.PortalUrl;

            running.Gateway = GatewayHost.Build(args, builder => Configure(builder, overrides));
            await running.Gateway.StartAsync(cancellationToken);
            running.GatewayUrl = ListeningAddress(running.Gateway);
            // The portal calls the public API where the gateway actually listens, a port that may be chosen only now.
            if (configuration["Portal:ApiUrl"] is null)
            {
                PortalHost.UseGateway(running.Portal, running.GatewayUrl);
            }

            running.RedisConnectionString = overrides.TryGetValue("DataPlatform:Redis", out var r) && r is not null ? r : options.Redis!;
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts one more gateway instance, for example a second one in front of the same Redis and upstreams to
    /// show that limits hold across instances. <paramref name="settings"/> must name the Redis, the upstreams
    /// and the consumer-context secret (see <see cref="RunningPlatform.GatewaySettings"/>); the gateway listens
    /// on a free loopback port unless <c>DataPlatform:GatewayUrl</c> says otherwise.
    /// </summary>
    public static async Task<RunningGateway> StartGatewayAsync(
        IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, string?>(settings);
        overrides.TryAdd("DataPlatform:GatewayUrl", "http://127.0.0.1:0");
        var gateway = GatewayHost.Build([], builder => builder.Configuration.AddInMemoryCollection(overrides));
        try
        {
            await gateway.StartAsync(cancellationToken);
            return new RunningGateway(gateway, ListeningAddress(gateway));
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Gives a hosted service the launcher's settings, and leaves Ctrl+C and SIGTERM to the launcher: a host's own
    /// console lifetime would stop that host by itself, and the launcher could not tell a stop that was asked for
    /// from a service that stopped on its own.
    /// </summary>
    static void Configure(WebApplicationBuilder builder, Dictionary<string, string?> overrides)
    {
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Services.AddSingleton<IHostLifetime, LauncherHostLifetime>();
    }

    static string ListeningAddress(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

/// <summary>The platform as started by <see cref="PlatformLauncher"/>; disposing it stops everything.</summary>
public sealed class RunningPlatform(PlatformOptions options) : IAsyncDisposable
{
    int _disposed;

    /// <summary>The options the platform started with, before the launcher filled in addresses.</summary>
    public PlatformOptions Options { get; } = options;

    /// <summary>The gateway's actual address.</summary>
    public string GatewayUrl { get; internal set; } = "";

    /// <summary>The catalog's actual address.</summary>
    public string CatalogUrl { get; internal set; } = "";

    /// <summary>Billing's actual address.</summary>
    public string BillingUrl { get; internal set; } = "";

    /// <summary>The portal's actual address (internal: visitors reach it through the gateway).</summary>
    public string PortalUrl { get; internal set; } = "";

    /// <summary>The Redis connection string every service uses.</summary>
    public string RedisConnectionString { get; internal set; } = "";

    /// <summary>The embedded Redis, when the launcher started one.</summary>
    public EmbeddedRedisServer? EmbeddedRedis { get; internal set; }

    /// <summary>The catalog host.</summary>
    public WebApplication? Catalog { get; internal set; }

    /// <summary>The billing host.</summary>
    public WebApplication? Billing { get; internal set; }

    /// <summary>The gateway host.</summary>
    public WebApplication? Gateway { get; internal set; }

    /// <summary>The portal host.</summary>
    public WebApplication? Portal { get; internal set; }

    /// <summary>
    /// The settings a further gateway instance needs to stand beside this platform's gateway: its Redis, its
    /// upstreams and its consumer-context secret, with <paramref name="dataDirectory"/> for its own files.
    /// </summary>
    public Dictionary<string, string?> GatewaySettings(string dataDirectory) => new()
    {
        ["DataPlatform:Redis"] = RedisConnectionString,
        ["DataPlatform:CatalogUrl"] = CatalogUrl,
        ["DataPlatform:BillingUrl"] = BillingUrl,
        ["DataPlatform:PortalUrl"] = PortalUrl,
        ["DataPlatform:DataDirectory"] = dataDirectory,
        ["DataPlatform:ConsumerContextSecret"] = Options.ConsumerContextSecret,
        ["DataPlatform:PortalProxySecret"] = Encoding.UTF8.GetString(PortalProxySecret.Load(Options).Key),
    };

    /// <summary>The services this platform hosts, by name, in the order they stop: the gateway first.</summary>
    public IReadOnlyList<(string Name, WebApplication App)> Hosts =>
        new (string Name, WebApplication? App)[] { ("gateway", Gateway), ("catalog", Catalog), ("billing", Billing), ("portal", Portal) }
            .Where(s => s.App is not null).Select(s => (s.Name, s.App!)).ToList();

    /// <summary>
    /// Completes when the platform should stop: when <paramref name="stopRequested"/> is cancelled (Ctrl+C), or
    /// when any service stops without being asked, which the result names with the reason.
    /// </summary>
    public async Task<PlatformStop> WaitForStopAsync(CancellationToken stopRequested)
    {
        var requested = new TaskCompletionSource<PlatformStop>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = stopRequested.Register(() => requested.TrySetResult(PlatformStop.AsRequested));
        var watches = Hosts.Select(service => StoppedOnItsOwnAsync(service.Name, service.App)).Prepend(requested.Task);
        return await await Task.WhenAny(watches);
    }

    /// <summary>
    /// Completes when the host begins to stop. Nothing but the launcher stops a host that runs under it, so this
    /// is a failure: most often a background service that threw, which stops its host by .NET's default.
    /// </summary>
    static async Task<PlatformStop> StoppedOnItsOwnAsync(string name, WebApplication app)
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        using (lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
        {
            await stopping.Task;
        }

        var failed = app.Services.GetServices<IHostedService>().OfType<BackgroundService>()
            .FirstOrDefault(service => service.ExecuteTask is { IsFaulted: true });
        return new PlatformStop(name, failed?.ExecuteTask?.Exception?.GetBaseException() is { } error
            ? $"its background service {failed.GetType().Name} failed with {error.GetType().Name}: {error.Message}"
            : "it stopped although no stop was asked for");
    }

    /// <summary>
    /// Stops the gateway first, so no request reaches a stopped upstream, then the rest. A host that fails to stop
    /// does not keep the others running; its error is thrown once all are stopped.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        var errors = new List<Exception>();
        foreach (var (_, app) in Hosts)
        {
            try
            {
                await app.StopAsync(CancellationToken.None);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }

            try
            {
                await app.DisposeAsync();
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }

        EmbeddedRedis?.Dispose();
        if (errors.Count > 0)
        {
            throw new AggregateException("Not every service stopped cleanly.", errors);
        }
    }
}

/// <summary>One gateway instance started by <see cref="PlatformLauncher.StartGatewayAsync"/>; disposing it stops it.</summary>
public sealed class RunningGateway(WebApplication app, string url) : IAsyncDisposable
{
    int _disposed;

    /// <summary>The gateway host.</summary>
    public WebApplication App { get; } = app;

    /// <summary>The gateway's actual address.</summary>
    public string Url { get; } = url;

    /// <summary>Stops the gateway gracefully: in-flight requests finish and its usage journal is flushed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await App.StopAsync(CancellationToken.None);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}
