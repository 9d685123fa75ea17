using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Portal;

/// <summary>The portal's own settings, bound from the <c>Portal</c> configuration section.</summary>
internal sealed class PortalOptions
{
    public const string SectionName = "Portal";

    /// <summary>
    /// Where the portal calls the public API. Empty means <c>DataPlatform:GatewayUrl</c>, the gateway's public
    /// address; set it when the portal reaches the gateway by an internal address.
    /// </summary>
    public string? ApiUrl { get; set; }

    /// <summary>
    /// Where Data Protection keeps the keys that protect the session cookie: <c>auto</c> (Redis when
    /// <c>DataPlatform:Redis</c> is set, else the data directory), <c>redis</c> or <c>files</c>.
    /// </summary>
    [Required, RegularExpression("^(auto|redis|files)$")]
    public string KeyStore { get; set; } = "auto";

    /// <summary>
    /// Addresses of the proxies (the gateway, a load balancer) whose <c>X-Forwarded-For</c> the portal believes for
    /// its visitor's address. Empty believes loopback only, which is where the launcher runs the gateway.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Rows shown in a dataset's preview.</summary>
    [Range(1, 200)]
    public int PreviewRows { get; set; } = 50;

    /// <summary>Bars in a chart at most.</summary>
    [Range(2, 200)]
    public int ChartBars { get; set; } = 30;
}
