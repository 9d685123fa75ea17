using System.Net;
using DataPlatform.Gateway.ApiKeys;
using DataPlatform.Gateway.Downloads;
using DataPlatform.Gateway.Metering;
using DataPlatform.Gateway.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Net.Http.Headers;

namespace DataPlatform.Gateway.Pipeline;

/// <summary>Registers and wires the gateway's policies: keys, authorization, limits, metering, CORS and compression.</summary>
static class GatewayPolicies
{
    public const string CorsPolicy = "public-apis";

    public static WebApplicationBuilder AddGatewayPolicies(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<RedisCircuitBreaker>();
        builder.Services.AddSingleton<ApiKeyCache>();
        builder.Services.AddSingleton<KeyFailureGuard>();
        builder.Services.AddSingleton<DatasetCache>();
        builder.Services.AddSingleton<RedisLimiter>();
        builder.Services.AddSingleton<LocalLimiter>();
        builder.Services.AddSingleton<UsageJournal>();
        builder.Services.AddSingleton<PolicyStep>();
        builder.Services.AddSingleton<ConsumerContext.SignedContextCache>();
        builder.Services.AddHostedService<ScriptPreloader>();
        builder.Services.AddHostedService<InvalidationListener>();
        builder.Services.AddHostedService<UsageFlusher>();

        builder.Services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            forwarded.ForwardLimit = null;
            // Nobody is believed by default, not even loopback: X-Forwarded-For counts only from configured proxies.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // The obsolete list still holds loopback by default and is still consulted.
            forwarded.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var proxy in options.TrustedProxies)
            {
                if (proxy.Contains('/', StringComparison.Ordinal))
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
                }
                else
                {
                    forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
                }
            }
        });

        builder.Services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy =>
        {
            if (options.CorsOrigins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins([.. options.CorsOrigins]);
            }

            policy.WithMethods("GET", "HEAD", "POST", "OPTIONS")
                .WithHeaders("Authorization", "X-Api-Key", "Content-Type", "Accept", "Accept-Language", "OData-Version", "OData-MaxVersion", "Prefer")
                .WithExposedHeaders(RateLimitHeaders.PolicyName, RateLimitHeaders.Name, "Retry-After", "Content-Disposition", "OData-Version")
                .SetPreflightMaxAge(TimeSpan.FromHours(1));
        }));

        builder.Services.AddResponseCompression(compression =>
        {
            compression.EnableForHttps = true;
            compression.Providers.Add<BrotliCompressionProvider>();
            compression.Providers.Add<GzipCompressionProvider>();
            // JSON only: CSV and file downloads stream through untouched, without the CPU cost of compressing them.
            compression.MimeTypes = ["application/json", "application/problem+json", "application/ld+json", "application/geo+json"];
        });

        return builder;
    }

    /// <summary>The middleware in front of routing: the client address, CORS and compression.</summary>
    public static WebApplication UseGatewayEdge(this WebApplication app)
    {
        // With no known proxies at all the middleware would believe every client, so it runs only when some are configured.
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        // CORS concerns browsers, which always send Origin; the middleware resolves its policy provider from a
        // request scope, so requests without Origin (servers, scripts, BI tools) skip it and the scope.
        app.UseWhen(context => context.Request.Headers.ContainsKey(HeaderNames.Origin), cors => cors.UseCors(CorsPolicy));
        // Downloads go out as the catalog made them: it compresses filtered exports itself, and a cached file's
        // validators, ranges and digest describe its stored bytes. Left unwrapped, a handed-over file is read straight
        // into the connection's buffers (CountingResponseBody.SendFileAsync) instead of through the compression body.
        app.UseWhen(context => !DownloadRequests.IsDownload(context.Request), edge => edge.UseResponseCompression());
        return app;
    }

    /// <summary>Maps the proxy with the policy step ahead of YARP's own load-balancing steps.</summary>
    public static WebApplication MapGatewayProxy(this WebApplication app)
    {
        var step = app.Services.GetRequiredService<PolicyStep>();
        app.MapReverseProxy(pipeline =>
        {
            pipeline.Use(step.InvokeAsync);
            pipeline.UseSessionAffinity();
            pipeline.UseLoadBalancing();
            pipeline.UsePassiveHealthChecks();
        });
        return app;
    }
}

/// <summary>Loads the Lua scripts on every Redis server at start, so that the first requests already use EVALSHA.</summary>
sealed partial class ScriptPreloader(StackExchange.Redis.IConnectionMultiplexer redis, ILogger<ScriptPreloader> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var server in redis.GetServers())
        {
            try
            {
                await RedisLimiter.Script.LoadAsync(server);
                await UsageFlusher.Script.LoadAsync(server);
            }
            catch (Exception exception) when (RedisCircuitBreaker.IsRedisFailure(exception))
            {
                // Not fatal: the client sends EVAL the first time and EVALSHA after.
                LogNotLoaded(logger, exception.Message);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not preload the gateway's scripts: {Reason}")]
    static partial void LogNotLoaded(ILogger logger, string reason);
}
