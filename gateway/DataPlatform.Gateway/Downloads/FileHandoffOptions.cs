namespace DataPlatform.Gateway.Downloads;

/// <summary>How the gateway serves materialised downloads itself, from <c>Gateway:Downloads</c>.</summary>
public sealed class FileHandoffOptions
{
    public const string SectionName = "Gateway:Downloads";

    /// <summary>
    /// Whether the gateway offers the catalog to send cached download files itself. Turn it off when the gateway
    /// cannot read the catalog's downloads folder (another machine without a shared volume); the catalog then
    /// streams the files through the proxy.
    /// </summary>
    public bool Handoff { get; set; } = true;

    /// <summary>The catalog's downloads folder as this machine sees it. Empty means <c>downloads</c> in the platform's data directory.</summary>
    public string? Directory { get; set; }
}
