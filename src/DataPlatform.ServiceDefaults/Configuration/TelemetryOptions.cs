using System.ComponentModel.DataAnnotations;

namespace DataPlatform.ServiceDefaults.Configuration;

/// <summary>
/// How much a service records about each request, bound from <c>DataPlatform:Telemetry</c>. The defaults suit
/// the internal services; the gateway, which every public request crosses, sets cheaper ones of its own.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "DataPlatform:Telemetry";

    /// <summary>
    /// The share of the traces that start at this service which are recorded (head sampling). A request that
    /// arrives inside a caller's trace follows the caller's sampling decision, so a sampled trace stays whole
    /// across the services. The trace context is propagated to upstreams either way. 0 turns tracing off: the
    /// service records no spans and passes a caller's trace context on as it came.
    /// </summary>
    [Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>
    /// Whether outgoing HttpClient calls get spans and <c>http.client.*</c> metrics of their own. A reverse proxy
    /// already records each forwarded call in its own span and its server metrics.
    /// </summary>
    public bool OutgoingHttpInstrumentation { get; set; } = true;

    /// <summary>
    /// A separate address that serves <c>/metrics</c>, for a service whose own address is public; empty serves
    /// <c>/metrics</c> on the service's own address. When set, <c>/metrics</c> answers only on this listener.
    /// </summary>
    public string? MetricsUrl { get; set; }
}
