using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.ConsumerContext;
using DataPlatform.ServiceDefaults.Health;
using DataPlatform.ServiceDefaults.Http;
using DataPlatform.ServiceDefaults.Redis;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace DataPlatform.ServiceDefaults;

/// <summary>What a service needs from the shared defaults.</summary>
/// <param name="Name">The service's short name: <c>catalog</c>, <c>billing</c> or <c>gateway</c>.</param>
/// <param name="ListenUrl">Picks the service's own address from the platform options.</param>
/// <param name="UsesDatabase">True when the service stores data in SQL.</param>
public sealed record PlatformService(string Name, Func<PlatformOptions, string> ListenUrl, bool UsesDatabase);

/// <summary>
/// The defaults every DataPlatform service shares: configuration with embedded defaults, structured
/// logging, OpenTelemetry with a Prometheus endpoint, RFC 9457 problem details, health checks, Redis,
/// the database and the consumer context.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The tag of checks that only the readiness probe runs.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Adds the shared defaults to <paramref name="builder"/>.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, PlatformService service)
    {
        AddEmbeddedDefaults(builder.Configuration);

        var options = builder.Configuration.GetSection(PlatformOptions.SectionName).Get<PlatformOptions>() ?? new PlatformOptions();
        builder.Services.AddOptions<PlatformOptions>()
            .BindConfiguration(PlatformOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(TimeProvider.System);

        var telemetry = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        builder.Services.AddOptions<TelemetryOptions>()
            .BindConfiguration(TelemetryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // The service's own address comes first: the launcher and the tests read the first address as the service's.
        builder.WebHost.UseUrls(string.IsNullOrWhiteSpace(telemetry.MetricsUrl)
            ? [service.ListenUrl(options)]
            : [service.ListenUrl(options), telemetry.MetricsUrl]);
        AddHttpLimits(builder);

        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();

        AddTelemetry(builder, service.Name, telemetry);
        AddRedis(builder, options, service.Name);

        var health = builder.Services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        if (service.UsesDatabase)
        {
            builder.Services.AddSingleton(_ => PlatformDatabase.Create(options, service.Name));
            builder.Services.AddHostedService<MigrationHostedService>();
            health.AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag]);
        }

        builder.Services.AddSingleton(_ => ConsumerContextSecret.Load(options));
        return builder;
    }

    /// <summary>
    /// Adds the shared middleware and endpoints: problem details for errors and empty error responses,
    /// <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c> (on its own listener when
    /// <see cref="TelemetryOptions.MetricsUrl"/> is set).
    /// </summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsUrl is { Length: > 0 })
        {
            // Before everything else, and decided by the port the connection arrived on (not by the Host header,
            // which a client chooses): on the public listener /metrics is just an unknown path.
            var listener = new MetricsListener(app);
            app.Lifetime.ApplicationStarted.Register(listener.Announce);
            app.UseOpenTelemetryPrometheusScrapingEndpoint(
                meterProvider: null,
                predicate: context => listener.Serves(context),
                path: null,
                configureBranchedPipeline: null,
                optionsName: null);
            // Nothing else answers on the metrics listener: it is not a second way in.
            app.Use((context, next) =>
            {
                if (listener.IsMetricsConnection(context))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseQueryParameterBinding();

        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = check => !check.Tags.Contains(ReadyTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).WithTags("Health");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).WithTags("Health");
        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsUrl is not { Length: > 0 })
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        return app;
    }

    /// <summary>
    /// Reads the signed consumer context of each request; upstream services call this, the gateway does not.
    /// </summary>
    public static WebApplication UseConsumerContext(this WebApplication app)
    {
        app.UseMiddleware<ConsumerContextMiddleware>();
        return app;
    }

    /// <summary>
    /// Puts the embedded defaults beneath every other configuration source, so appsettings files,
    /// environment variables and the command line all override them.
    /// </summary>
    static void AddEmbeddedDefaults(ConfigurationManager configuration)
    {
        var defaults = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            // YARP logs each proxied request at Information; that belongs at Debug in production.
            ["Logging:LogLevel:Yarp"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
            ["Logging:Console:FormatterName"] = "json",
            ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
            ["Logging:Console:FormatterOptions:TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ",
            ["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true",
        };
        ((IConfigurationBuilder)configuration).Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
    }

    /// <summary>Sets Kestrel's request limits from <see cref="HttpLimitsOptions"/>, the same on every service.</summary>
    static void AddHttpLimits(WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HttpLimitsOptions>()
            .BindConfiguration(HttpLimitsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var http = builder.Configuration.GetSection(HttpLimitsOptions.SectionName).Get<HttpLimitsOptions>() ?? new HttpLimitsOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var limits = kestrel.Limits;
            limits.MaxRequestHeadersTotalSize = http.MaxRequestHeadersTotalBytes;
            limits.MaxRequestHeaderCount = http.MaxRequestHeaderCount;
            limits.MaxRequestLineSize = http.MaxRequestLineBytes;
            limits.MaxRequestBodySize = http.MaxRequestBodyBytes;
            limits.MinRequestBodyDataRate = new MinDataRate(http.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(http.MinRequestBodyGraceSeconds));
            limits.RequestHeadersTimeout = TimeSpan.FromSeconds(http.RequestHeadersTimeoutSeconds);
            limits.KeepAliveTimeout = TimeSpan.FromSeconds(http.KeepAliveTimeoutSeconds);
        });
    }

    static void AddTelemetry(WebApplicationBuilder builder, string serviceName, TelemetryOptions options)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dataplatform-" + serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation();
                if (options.OutgoingHttpInstrumentation)
                {
                    metrics.AddHttpClientInstrumentation();
                }

                metrics.AddRuntimeInstrumentation()
                    .AddMeter("DataPlatform.*")
                    .AddPrometheusExporter();
            });

        // A ratio of 0 turns tracing off: no listener, so no activity per request, and a caller's trace context
        // passes through the service untouched (a proxy forwards the traceparent header as it came).
        if (options.TraceSampleRatio > 0)
        {
            otel.WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context =>
                        !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics"))
                    .AddSource("Yarp.ReverseProxy")
                    .AddSource("DataPlatform.*");
                if (options.OutgoingHttpInstrumentation)
                {
                    tracing.AddHttpClientInstrumentation();
                }

                if (options.TraceSampleRatio < 1.0)
                {
                    tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)));
                }
            });
        }

        // Traces and logs leave the process only when an OTLP collector is configured the standard way.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }
    }

    static void AddRedis(WebApplicationBuilder builder, PlatformOptions options, string serviceName)
    {
        builder.Services.AddSingleton<IConnectionMultiplexer>(provider =>
        {
            if (!options.UsesEmbeddedRedis)
            {
                return RedisConnection.Connect(options.Redis!);
            }

            // A service run on its own with no Redis configured gets a private embedded server. The launcher
            // instead starts one server and hands its address to every service.
            var embedded = EmbeddedRedisServer.Start(
                Path.Combine(options.DataDirectoryPath, "redis-" + serviceName),
                loggerFactory: provider.GetRequiredService<ILoggerFactory>());
            provider.GetRequiredService<EmbeddedRedisOwner>().Server = embedded;
            return RedisConnection.Connect(embedded.ConnectionString);
        });
        builder.Services.AddSingleton<EmbeddedRedisOwner>();
    }
}

/// <summary>
/// The listener that serves <c>/metrics</c> when <see cref="TelemetryOptions.MetricsUrl"/> is set. Its port is
/// known only once the server has bound it (the address may ask for port 0), so it is looked up on first use.
/// </summary>
sealed partial class MetricsListener(WebApplication app)
{
    int _port = -1;

    /// <summary>Logs where Prometheus finds the metrics, since the address may have been chosen at start.</summary>
    public void Announce()
    {
        if (Addresses() is { Count: > 1 } addresses)
        {
            LogMetricsAddress(app.Logger, addresses.ElementAt(1).TrimEnd('/') + "/metrics");
        }
    }

    /// <summary>True for a <c>GET /metrics</c> that arrived on the metrics listener.</summary>
    public bool Serves(HttpContext context) =>
        context.Request.Path.Equals("/metrics", StringComparison.Ordinal) && IsMetricsConnection(context);

    /// <summary>True for any request that arrived on the metrics listener.</summary>
    public bool IsMetricsConnection(HttpContext context)
    {
        if (_port < 0)
        {
            // The server lists its addresses in the order they were configured: the service's own, then this one.
            var addresses = Addresses();
            _port = addresses.Count > 1 ? new Uri(addresses.ElementAt(1)).Port : 0;
        }

        return context.Connection.LocalPort == _port;
    }

    ICollection<string> Addresses() =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics for Prometheus at {Address}, on a listener of their own")]
    static partial void LogMetricsAddress(ILogger logger, string address);
}

/// <summary>Holds a service's private embedded Redis so that it stops with the service.</summary>
sealed class EmbeddedRedisOwner : IDisposable
{
    public EmbeddedRedisServer? Server { get; set; }

    public void Dispose() => Server?.Dispose();
}
