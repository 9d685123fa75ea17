using System.Diagnostics;
using System.Globalization;
using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataPlatform.Portal.Pages.Errors;

/// <summary>
/// The friendly page for an error: not found, forbidden, too many requests (with the gateway's retry time) and
/// anything else as a failure. It carries the trace id, which an operator finds in the logs and traces. The
/// status code middleware re-executes it; opened directly, it answers with its own code.
/// </summary>
[IgnoreAntiforgeryToken]
internal sealed class StatusModel : PageModel
{
    public int Code { get; private set; }

    public string Kind => Code switch
    {
        404 => "NotFound",
        403 or 401 => "Forbidden",
        429 => "TooMany",
        400 => "BadRequest",
        _ => "Failure",
    };

    public int? RetryAfterSeconds { get; private set; }

    public string TraceId { get; private set; } = "";

    public IActionResult OnGet(int code) => Render(code);

    public IActionResult OnPost(int code) => Render(code);

    IActionResult Render(int code)
    {
        var reExecuted = HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is not null
            || HttpContext.Features.Get<IExceptionHandlerPathFeature>() is not null;
        Code = code is >= 400 and <= 599 ? code : 404;
        if (!reExecuted)
        {
            Response.StatusCode = Code;
        }

        if (HttpContext.Items[typeof(GatewayException)] is GatewayException { RetryAfter: { } wait })
        {
            RetryAfterSeconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        }
        else if (int.TryParse(Response.Headers.RetryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            RetryAfterSeconds = seconds;
        }

        TraceId = Activity.Current?.TraceId.ToString() ?? HttpContext.TraceIdentifier;
        return Page();
    }
}
