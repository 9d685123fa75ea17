using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.Extensions.Options;

namespace DataPlatform.Gateway.Portal;

/// <summary>
/// The portal calls the gateway for its anonymous visitors. So that the anonymous tier limits each visitor rather
/// than the portal as a whole, the portal signs the visitor's address into <see cref="PortalVisitorHeader"/>, and
/// the gateway takes that address as the client's when, and only when, the signature verifies under the
/// portal-proxy secret. The header is removed from every request either way: nothing behind the gateway sees it,
/// and a forged one changes nothing (the caller is limited by its own address, as with a forged
/// <c>X-Forwarded-For</c>).
/// </summary>
static class PortalVisitors
{
    public static WebApplicationBuilder AddPortalVisitors(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(services => PortalProxySecret.Load(services.GetRequiredService<IOptions<PlatformOptions>>().Value));
        return builder;
    }

    /// <summary>After the forwarded-headers middleware, so a vouched-for visitor wins over the proxy's address.</summary>
    public static WebApplication UsePortalVisitors(this WebApplication app)
    {
        var secret = app.Services.GetRequiredService<PortalProxySecret>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        app.Use((context, next) =>
        {
            if (context.Request.Headers.Remove(PortalVisitorHeader.Name, out var value)
                && value.Count == 1
                && PortalVisitorHeader.Verify(value[0], secret.Key, time.GetUtcNow()) is { } visitor)
            {
                context.Connection.RemoteIpAddress = visitor;
            }

            return next(context);
        });
        return app;
    }
}
