namespace DataPlatform.Portal.Api;

/// <summary>
/// The public API refused or failed a call a page needed. Pages that can explain the refusal in place (a filter
/// the API could not parse, a dataset that needs a key) catch it; otherwise the visitor gets the error page for
/// <see cref="Status"/>, with the retry time for a 429.
/// </summary>
internal sealed class GatewayException(int status, string? detail, TimeSpan? retryAfter)
    : Exception($"The public API answered {status}.")
{
    public int Status { get; } = status;

    /// <summary>What the API said, from its problem or OData error body; shown only where it helps the visitor.</summary>
    public string? Detail { get; } = detail;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The error page the visitor sees: the API's 4xx as it was, any failure behind the portal as a 500.</summary>
    public int PageStatus => Status switch
    {
        401 or 402 or 403 => 403,
        404 or 410 => 404,
        429 => 429,
        >= 400 and < 500 => 400,
        _ => 500,
    };
}
