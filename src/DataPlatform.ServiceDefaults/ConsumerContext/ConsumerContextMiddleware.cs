using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.Contracts.Problems;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataPlatform.ServiceDefaults.ConsumerContext;

/// <summary>
/// Reads the consumer context that the gateway signed. A request without one is anonymous; a request whose
/// context is forged, malformed or older than <see cref="PlatformOptions.ConsumerContextMaxAgeSeconds"/> (a
/// replayed one, say) is refused with 401, because it did not come through the gateway as it claims.
/// </summary>
sealed partial class ConsumerContextMiddleware(
    RequestDelegate next, ConsumerContextSecret secret, TimeProvider time, IOptions<PlatformOptions> options, ILogger<ConsumerContextMiddleware> logger)
{
    readonly TimeSpan _maxAge = options.Value.ConsumerContextMaxAge;

    public Task InvokeAsync(HttpContext context)
    {
        var header = context.Request.Headers[ConsumerContextHeader.Name];
        if (header.Count == 0)
        {
            context.Features.Set(new ConsumerFeature(Contracts.ConsumerContext.ConsumerContext.Anonymous(
                context.Connection.RemoteIpAddress?.ToString(), time.GetUtcNow())));
            return next(context);
        }

        var verdict = header.Count == 1
            ? ConsumerContextHeader.Verify(header[0]!, secret.Key, time.GetUtcNow(), out var consumer, _maxAge)
            : ConsumerContextHeader.Verify(string.Empty, secret.Key, time.GetUtcNow(), out consumer, _maxAge);
        if (verdict != ConsumerContextVerdict.Valid)
        {
            LogRefused(logger, verdict);
            return Results.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Invalid consumer context",
                detail: verdict == ConsumerContextVerdict.Expired
                    ? "The consumer context is older than the allowed age. Send the request through the gateway."
                    : "The consumer context is not signed by the gateway. Send the request through the gateway.",
                type: ProblemTypes.InvalidConsumerContext).ExecuteAsync(context);
        }

        context.Features.Set(new ConsumerFeature(consumer!));
        ApplyGatewayAddress(context.Request);
        return next(context);
    }

    /// <summary>
    /// Links in responses (OData's nextLink, DCAT's URLs) must name the gateway, not this internal address. The
    /// X-Forwarded headers are believed only on a request whose consumer context the gateway signed, because the
    /// gateway sets them itself and replaces whatever a client sent.
    /// </summary>
    static void ApplyGatewayAddress(HttpRequest request)
    {
        if (request.Headers["X-Forwarded-Host"] is [{ Length: > 0 } host])
        {
            request.Host = new HostString(host);
        }

        if (request.Headers["X-Forwarded-Proto"] is [{ Length: > 0 } scheme] && scheme is "http" or "https")
        {
            request.Scheme = scheme;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a request with a consumer context that is {Verdict}")]
    static partial void LogRefused(ILogger logger, ConsumerContextVerdict verdict);
}

/// <summary>Carries the verified consumer of a request.</summary>
/// <param name="Consumer">The consumer.</param>
public sealed record ConsumerFeature(Contracts.ConsumerContext.ConsumerContext Consumer);

/// <summary>Access to the verified consumer from endpoint handlers.</summary>
public static class ConsumerHttpContextExtensions
{
    /// <summary>The request's consumer; anonymous when the gateway sent none.</summary>
    public static Contracts.ConsumerContext.ConsumerContext GetConsumer(this HttpContext context) =>
        context.Features.Get<ConsumerFeature>()?.Consumer
        ?? Contracts.ConsumerContext.ConsumerContext.Anonymous(context.Connection.RemoteIpAddress?.ToString(), DateTimeOffset.UtcNow);
}
