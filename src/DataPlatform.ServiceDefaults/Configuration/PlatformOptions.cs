using System.ComponentModel.DataAnnotations;

namespace DataPlatform.ServiceDefaults.Configuration;

/// <summary>
/// The settings every service reads from the <c>DataPlatform</c> configuration section. Each one has an
/// embedded default, so the platform runs with no configuration at all.
/// </summary>
public sealed class PlatformOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "DataPlatform";

    /// <summary>The gateway's public address, which is also where it listens.</summary>
    [Required, Url]
    public string GatewayUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Where the catalog listens, and where the gateway sends catalog routes.</summary>
    [Required, Url]
    public string CatalogUrl { get; set; } = "http://127.0.0.1:8081";

    /// <summary>Where billing listens, and where the gateway sends billing routes.</summary>
    [Required, Url]
    public string BillingUrl { get; set; } = "http://127.0.0.1:8082";

    /// <summary>Where the portal listens, and where the gateway sends the portal's pages.</summary>
    [Required, Url]
    public string PortalUrl { get; set; } = "http://127.0.0.1:8083";

    /// <summary>Where embedded data lives: SQLite files, the embedded Redis log, generated secrets.</summary>
    [Required]
    public string DataDirectory { get; set; } = "./.data";

    /// <summary>A StackExchange.Redis connection string. Empty means an embedded Garnet server.</summary>
    public string? Redis { get; set; }

    /// <summary>A PostgreSQL connection string. Empty means SQLite files in <see cref="DataDirectory"/>.</summary>
    public string? Database { get; set; }

    /// <summary>
    /// The secret the gateway signs consumer contexts with. Empty means one generated at first start and
    /// kept in <see cref="DataDirectory"/>, which suits a single machine.
    /// </summary>
    public string? ConsumerContextSecret { get; set; }

    /// <summary>
    /// How many seconds a signed consumer context stays valid at an upstream: a captured header replayed later, or a
    /// stale one, is refused after this. Set the same value on the gateway (which re-signs well within it) and on
    /// every upstream; allow for the clock difference between their machines.
    /// </summary>
    [Range(2, 600)]
    public int ConsumerContextMaxAgeSeconds { get; set; } = (int)Contracts.ConsumerContext.ConsumerContextHeader.DefaultMaxAge.TotalSeconds;

    /// <summary>The validity of a consumer context, <see cref="ConsumerContextMaxAgeSeconds"/>.</summary>
    public TimeSpan ConsumerContextMaxAge => TimeSpan.FromSeconds(ConsumerContextMaxAgeSeconds);

    /// <summary>
    /// The secret with which the portal vouches to the gateway for an anonymous visitor's address, so that the
    /// visitor, not the portal, is limited. Empty means one generated at first start and kept in
    /// <see cref="DataDirectory"/>. Only the gateway and the portal read it.
    /// </summary>
    public string? PortalProxySecret { get; set; }

    /// <summary>The full path of <see cref="DataDirectory"/>.</summary>
    public string DataDirectoryPath => Path.GetFullPath(DataDirectory);

    /// <summary>True when <see cref="Redis"/> is empty and an embedded server stands in.</summary>
    public bool UsesEmbeddedRedis => string.IsNullOrWhiteSpace(Redis);

    /// <summary>True when <see cref="Database"/> is empty and SQLite stands in.</summary>
    public bool UsesSqlite => string.IsNullOrWhiteSpace(Database);
}
