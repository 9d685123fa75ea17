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

            running.Catalog = CatalogHost.Build(args, builder => builder.Configuration.AddInMemoryCollection(overrides));
            running.Billing = BillingHost.Build(args, builder => builder.Configuration.AddInMemoryCollection(overrides));
            running.Portal = PortalHost.Build(args, builder => builder.Configuration.AddInMemoryCollection(overrides));
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

            running.Gateway = GatewayHost.Build(args, builder => builder.Configuration.AddInMemoryCollection(overrides));
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

    static string ListeningAddress(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

/// <summary>The platform as started by <see cref="PlatformLauncher"/>; disposing it stops everything.</summary>
public sealed class RunningPlatform(PlatformOptions options) : IAsyncDisposable
{
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

    /// <summary>Completes when any service stops, for example on Ctrl+C.</summary>
    public Task WaitForShutdownAsync() => Task.WhenAny(
        new[] { Gateway, Catalog, Billing, Portal }.OfType<WebApplication>().Select(app => app.WaitForShutdownAsync()));

    /// <summary>Stops the gateway first, so no request reaches a stopped upstream, then the rest.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var app in new[] { Gateway, Catalog, Billing, Portal }.OfType<WebApplication>())
        {
            try
            {
                await app.StopAsync(CancellationToken.None);
            }
            finally
            {
                await app.DisposeAsync();
            }
        }

        EmbeddedRedis?.Dispose();
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
