using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace DataPlatform.ServiceDefaults.Http;

/// <summary>
/// Answers a request the server found bad while it was being read (a body over the size limit, one that arrived
/// too slowly, one cut short) with the status the server chose and an RFC 9457 body. Without it, an endpoint that
/// reads its body itself (GraphQL's POST, say) lets the exception through and the client gets a 500 for its own
/// mistake, while endpoints that bind their body answer 413.
/// </summary>
sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        LogRefused(logger, bad.StatusCode, bad.Message);
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = Title(bad.StatusCode),
                // Kestrel's messages name the limit and nothing of the server ("Request body too large. The max
                // request body size is 10485760 bytes.").
                Detail = bad.Message,
            },
        });
    }

    static string Title(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        StatusCodes.Status408RequestTimeout => "Request body too slow",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "Request headers too large",
        StatusCodes.Status414UriTooLong => "Request line too long",
        _ => "Bad request",
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused a bad request with {Status}: {Reason}")]
    static partial void LogRefused(ILogger logger, int status, string reason);
}
