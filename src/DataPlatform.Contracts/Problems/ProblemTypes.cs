namespace DataPlatform.Contracts.Problems;

/// <summary>
/// The <c>type</c> URIs of the platform's RFC 9457 problem details. They are relative references, resolved
/// against the gateway's address, where each one documents the problem and what to do about it.
/// </summary>
public static class ProblemTypes
{
    /// <summary>The request needs an API key and carried none.</summary>
    public const string AuthenticationRequired = "/problems/authentication-required";

    /// <summary>An upstream received a consumer context that the gateway did not sign, or a stale one.</summary>
    public const string InvalidConsumerContext = "/problems/invalid-consumer-context";

    /// <summary>No route or resource matches the request.</summary>
    public const string NotFound = "/problems/not-found";

    /// <summary>The upstream service behind a route did not answer.</summary>
    public const string UpstreamUnavailable = "/problems/upstream-unavailable";

    /// <summary>A query-string parameter has a value the endpoint cannot take; the body names it and what it accepts.</summary>
    public const string InvalidQueryParameter = "/problems/invalid-query-parameter";
}
