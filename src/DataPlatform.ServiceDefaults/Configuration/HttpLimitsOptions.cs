using System.ComponentModel.DataAnnotations;

namespace DataPlatform.ServiceDefaults.Configuration;

/// <summary>
/// The limits every service's web server (Kestrel) puts on a request before any of the service's code runs, bound
/// from <c>DataPlatform:Http</c>. They keep one client from holding a connection, memory or a thread with an
/// oversized or slow request. A request over a header or URL limit is refused by Kestrel itself (431, 414, with
/// no body: nothing of the application runs yet); a body over its limit fails when it is read, and the service
/// answers 413 with a problem body (see <see cref="Http.BadRequestExceptionHandler"/>).
/// </summary>
public sealed class HttpLimitsOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "DataPlatform:Http";

    /// <summary>The total size of a request's headers (431 above it). Kestrel's own default, 32 KiB.</summary>
    [Range(4 * 1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

    /// <summary>The number of headers a request may carry (431 above it).</summary>
    [Range(16, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>
    /// The size of the request line: method, path and query string (414 above it). 8 KiB holds any OData or REST
    /// query a person writes; a longer one belongs in a POST to <c>/graphql</c>.
    /// </summary>
    [Range(1024, 1024 * 1024)]
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// The default largest request body (413 above it). Routes that take files set their own limit: publishing
    /// follows <c>Catalog:MaxUploadBytes</c>, and the gateway's <c>publish</c> route lifts this one (its
    /// <c>MaxRequestBodySize</c> in <c>routes.json</c>) so that the catalog can apply it.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>The slowest a client may send a request body, after <see cref="MinRequestBodyGraceSeconds"/> (408 below it).</summary>
    [Range(1, 1024 * 1024)]
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a request body may start slowly before <see cref="MinRequestBodyBytesPerSecond"/> applies.</summary>
    [Range(1, 300)]
    public double MinRequestBodyGraceSeconds { get; set; } = 5;

    /// <summary>How long a client may take to send a request's headers before the connection is closed (slowloris).</summary>
    [Range(1, 600)]
    public double RequestHeadersTimeoutSeconds { get; set; } = 15;

    /// <summary>
    /// How long an idle keep-alive connection stays open. Above the one minute after which the gateway's pooled
    /// connections to its upstreams go idle, so that an upstream never closes a connection the gateway is about to
    /// reuse.
    /// </summary>
    [Range(1, 3600)]
    public double KeepAliveTimeoutSeconds { get; set; } = 120;
}
