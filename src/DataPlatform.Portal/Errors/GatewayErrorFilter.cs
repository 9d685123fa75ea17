using DataPlatform.Contracts.Problems;
using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace DataPlatform.Portal.Errors;

/// <summary>
/// Turns a refusal or failure of the public API that a page did not handle into that status, so the visitor gets
/// the friendly error page for it (re-executed by the status-code middleware), with the API's retry time kept for
/// the 429 page. A session key the gateway no longer accepts is forgotten, and the page shown again without it.
/// </summary>
internal sealed class GatewayErrorFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var executed = await next();
        if (executed.Exception is GatewayException { Type: GatewayProblemTypes.RevokedApiKey or GatewayProblemTypes.ExpiredApiKey }
            && !executed.ExceptionHandled && HttpMethods.IsGet(context.HttpContext.Request.Method)
            && context.HttpContext.RequestServices.GetRequiredService<SessionCookie>() is var sessions && sessions.Read(context.HttpContext) is not null)
        {
            // The session ended elsewhere (signed out everywhere, password reset, revoked): forget it and show the
            // page as the visitor may see it without one.
            executed.ExceptionHandled = true;
            sessions.Clear(context.HttpContext);
            var request = context.HttpContext.Request;
            executed.Result = new RedirectResult(request.PathBase + request.Path + request.QueryString);
        }
        else if (executed.Exception is GatewayException refused && !executed.ExceptionHandled)
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
