using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Data.Sqlite;

namespace DataPlatform.Catalog.Storage;

/// <summary>
/// On SQLite one writer works at a time; a write that waited the whole busy timeout behind a long publish
/// gets 503 with Retry-After, which clients retry, rather than a 500.
/// </summary>
sealed class DatabaseBusyHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not SqliteException { SqliteErrorCode: 5 or 6 })
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "30";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Type = "/problems/database-busy",
                Title = "The catalog is busy",
                Detail = "Another publish holds the embedded database's write lock. Retry in a little while.",
            },
        });
    }
}
