using DataPlatform.Gateway.ConsumerContext;
using DataPlatform.Gateway.Downloads;
using DataPlatform.Gateway.Metering;
using DataPlatform.Gateway.Pipeline;
using DataPlatform.Gateway.Portal;
using DataPlatform.Gateway.Routing;
using DataPlatform.ServiceDefaults;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;

namespace DataPlatform.Gateway;

/// <summary>
/// Builds the gateway, the platform's only public entry. <c>Program.cs</c> runs it alone; the launcher and
/// the functional tests host it in-process next to the catalog and billing.
/// </summary>
public static class GatewayHost
{
    /// <summary>The gateway as the service defaults know it.</summary>
    public static readonly PlatformService Service = new("gateway", options => options.GatewayUrl, UsesDatabase: false);

    /// <summary>Builds the gateway; <paramref name="configure"/> may add configuration before services are added.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(GatewayHost).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        AddTelemetryDefaults(builder.Configuration);
        builder.AddServiceDefaults(Service);
        AddDefaultRoutes(builder.Configuration);
        builder.AddGatewayPolicies();
        builder.AddPortalVisitors();

        builder.Services.AddSingleton<ConsumerContextTransform>();
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<UpstreamAddressFilter>()
            .AddTransforms(context =>
            {
                context.RequestTransforms.Add(context.Services.GetRequiredService<ConsumerContextTransform>());
                context.ResponseTransforms.Add(new UsageReportTransform());
            })
            // After the consumer context, which drops the reserved headers a client sent.
            .AddTransforms<FileHandoffTransforms>();
        builder.Services.AddOptions<FileHandoffOptions>().BindConfiguration(FileHandoffOptions.SectionName);

        var app = builder.Build();

        app.UseGatewayEdge();
        app.UsePortalVisitors();
        app.UseServiceDefaults();
        app.MapGatewayIndex();
        app.MapApiDocumentation();
        app.MapGatewayProxy();

        return app;
    }

    /// <summary>
    /// Loads the routes shipped in the assembly beneath every other configuration source, so an operator
    /// can change or add routes in appsettings or environment variables.
    /// </summary>
    static void AddDefaultRoutes(ConfigurationManager configuration)
    {
        var routes = typeof(GatewayHost).Assembly.GetManifestResourceStream("DataPlatform.Gateway.routes.json")
            ?? throw new InvalidOperationException("The gateway's routes are missing from its assembly.");
        ((IConfigurationBuilder)configuration).Sources.Insert(0, new JsonStreamConfigurationSource { Stream = routes });
    }

    /// <summary>The gateway's own telemetry defaults, beneath every other source, read by the service defaults.</summary>
    static void AddTelemetryDefaults(ConfigurationManager configuration)
    {
        ((IConfigurationBuilder)configuration).Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                // Every public request crosses the gateway, so by default it records no spans of its own: a
                // caller's traceparent goes through to the upstreams as it came, and they record the trace. An
                // operator who wants the gateway's hop in traces sets a ratio above 0 (a caller's sampled trace is
                // then always followed). Even unsampled, a span costs an activity per request.
                ["DataPlatform:Telemetry:TraceSampleRatio"] = "0",
                ["DataPlatform:Telemetry:OutgoingHttpInstrumentation"] = "false",
                // ASP.NET Core starts an activity per request for its request logging as long as this category is
                // enabled at all; its only lines are the per-request ones (Information), which a gateway does not log.
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
                // The gateway's address is public; its metrics are not. They are served on a loopback listener
                // of their own (logged at start), which an operator pins to a port Prometheus scrapes.
                ["DataPlatform:Telemetry:MetricsUrl"] = "http://127.0.0.1:0",
            },
        });
    }
}
