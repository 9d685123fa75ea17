using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace DataPlatform.Gateway.Routing;

/// <summary>
/// Replaces destination addresses of the form <c>service:catalog</c> with the configured address of that
/// service, so the routes file names services rather than hosts.
/// </summary>
sealed class UpstreamAddressFilter(IOptions<PlatformOptions> options) : IProxyConfigFilter
{
    const string Scheme = "service:";

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel)
    {
        if (cluster.Destinations is null)
        {
            return ValueTask.FromResult(cluster);
        }

        var destinations = cluster.Destinations.ToDictionary(
            pair => pair.Key,
            pair => pair.Value.Address.StartsWith(Scheme, StringComparison.Ordinal)
                ? pair.Value with { Address = Resolve(pair.Value.Address[Scheme.Length..]) }
                : pair.Value,
            StringComparer.OrdinalIgnoreCase);
        return ValueTask.FromResult(cluster with { Destinations = destinations });
    }

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) =>
        ValueTask.FromResult(route);

    string Resolve(string service) => service switch
    {
        "catalog" => options.Value.CatalogUrl,
        "billing" => options.Value.BillingUrl,
        "portal" => options.Value.PortalUrl,
        _ => throw new InvalidOperationException($"The routes name an unknown service '{service}'."),
    };
}
