using System.Net;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using DataPlatform.Contracts.Redis;
using DataPlatform.Portal.Api;
using DataPlatform.Portal.Assets;
using DataPlatform.Portal.Errors;
using DataPlatform.Portal.Localization;
using DataPlatform.Portal.Security;
using DataPlatform.ServiceDefaults;
using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.WebEncoders;
using StackExchange.Redis;

namespace DataPlatform.Portal;

/// <summary>
/// Builds the portal. <c>Program.cs</c> runs it alone; the launcher hosts it in-process beside the other services
/// and tells it, once the gateway has started, where the gateway listens (<see cref="UseGateway"/>).
/// </summary>
public static class PortalHost
{
    /// <summary>The portal as the service defaults know it.</summary>
    public static readonly PlatformService Service = new("portal", options => options.PortalUrl, UsesDatabase: false);

    /// <summary>Builds the portal; <paramref name="configure"/> may add configuration before services are added.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Razor Pages finds the pages in the application's assembly, which is this one also when the launcher hosts it.
            ApplicationName = typeof(PortalHost).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        builder.AddServiceDefaults(Service);
        var platform = builder.Configuration.GetSection(PlatformOptions.SectionName).Get<PlatformOptions>() ?? new PlatformOptions();
        var portal = builder.Configuration.GetSection(PortalOptions.SectionName).Get<PortalOptions>() ?? new PortalOptions();
        builder.Services.AddOptions<PortalOptions>()
            .BindConfiguration(PortalOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddRazorPages(pages => pages.Conventions.ConfigureFilter(new GatewayErrorFilter()))
            .AddViewLocalization();
        builder.Services.AddPortalLocalization();
        // Vietnamese letters are written as themselves, not as numeric entities; markup characters are still encoded.
        builder.Services.Configure<WebEncoderOptions>(encoding => encoding.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "dp_af";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        AddDataProtection(builder, platform, portal);
        AddForwardedHeaders(builder, portal);
        builder.Services.AddResponseCompression(compression =>
        {
            compression.EnableForHttps = true;
            compression.Providers.Add<BrotliCompressionProvider>();
            compression.Providers.Add<GzipCompressionProvider>();
            compression.MimeTypes = ["text/html", "text/css", "text/javascript", "image/svg+xml"];
        });

        builder.Services.AddSingleton(services => PortalProxySecret.Load(services.GetRequiredService<IOptions<PlatformOptions>>().Value));
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<GatewayAddress>();
        builder.Services.AddSingleton<SessionCookie>();
        builder.Services.AddSingleton<AssetFiles>();
        builder.Services.AddHttpClient<GatewayClient>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // The portal's calls are those of its visitors: no cookies of its own, no redirects followed.
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });

        var app = builder.Build();

        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        app.UseResponseCompression();
        app.UseServiceDefaults();
        // Inside the service defaults' JSON problem handlers, so that pages answer errors with pages.
        app.UseExceptionHandler("/errors/500");
        app.UseStatusCodePagesWithReExecute("/errors/{0}");
        app.UseLanguageSwitch();
        app.UseRequestLocalization();
        app.MapAssets();
        app.MapRazorPages();

        return app;
    }

    /// <summary>
    /// Points the portal at the gateway's actual address, for a launcher that starts the gateway after the portal
    /// (the gateway needs the portal's address for its routes, and either may listen on a port chosen at start).
    /// </summary>
    public static void UseGateway(WebApplication portal, string gatewayUrl) =>
        portal.Services.GetRequiredService<GatewayAddress>().Set(gatewayUrl);

    static void AddDataProtection(WebApplicationBuilder builder, PlatformOptions platform, PortalOptions portal)
    {
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("DataPlatform.Portal");
        var useRedis = portal.KeyStore == "redis" || (portal.KeyStore == "auto" && !platform.UsesEmbeddedRedis);
        if (useRedis)
        {
            // Every portal instance behind a load balancer must read the cookies the others wrote.
            builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((keys, redis) =>
                keys.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), RedisKeys.PortalDataProtectionKeys));
        }
        else
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(platform.DataDirectoryPath, "portal-keys")));
        }
    }

    static void AddForwardedHeaders(WebApplicationBuilder builder, PortalOptions portal) =>
        builder.Services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // Loopback stays trusted (the launcher's gateway); configured proxies are added to it.
            foreach (var proxy in portal.TrustedProxies)
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
}
