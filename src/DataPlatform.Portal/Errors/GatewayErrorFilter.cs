using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace DataPlatform.Portal.Errors;

/// <summary>
/// Turns a refusal or failure of the public API that a page did not handle into that status, so the visitor gets
/// the friendly error page for it (re-executed by the status-code middleware), with the API's retry time kept for
/// the 429 page.
/// </summary>
internal sealed class GatewayErrorFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var executed = await next();
        if (executed.Exception is GatewayException refused && !executed.ExceptionHandled)
        {
            executed.ExceptionHandled = true;
            context.HttpContext.Items[typeof(GatewayException)] = refused;
            if (refused.RetryAfter is { } wait)
            {
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            executed.Result = new StatusCodeResult(refused.PageStatus);
        }
    }
}
