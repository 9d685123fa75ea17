using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;

namespace DataPlatform.Portal.Api;

/// <summary>
/// Where the portal calls the public API: <c>Portal:ApiUrl</c>, else the gateway's public address. The launcher
/// replaces it once the gateway has started, because the gateway may listen on a port chosen only then.
/// </summary>
internal sealed class GatewayAddress(IOptions<PortalOptions> portal, IOptions<PlatformOptions> platform)
{
    volatile Uri? _url;

    public Uri Url => _url ??= new Uri(WithSlash(portal.Value.ApiUrl is { Length: > 0 } api ? api : platform.Value.GatewayUrl));

    public void Set(string url) => _url = new Uri(WithSlash(url));

    static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
