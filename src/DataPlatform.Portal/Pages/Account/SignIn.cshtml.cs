using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// Signing in: billing checks the address and password and issues a session key, which the portal keeps in the
/// protected <c>dp_session</c> cookie and sends with the person's calls. The page answers a wrong address and a
/// wrong password alike, as billing does.
/// </summary>
internal sealed class SignInModel(GatewayClient api, SessionCookie sessions) : AccountPageModel(sessions)
{
    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    /// <summary>How long the address or the visitor must wait after too many failures, when billing said so.</summary>
    public int? RetryAfterSeconds { get; private set; }

    public IActionResult OnGet() => Session is null ? Page() : Redirect("/account");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        NoStore();
        if (string.IsNullOrWhiteSpace(Email) || string.IsNullOrEmpty(Password))
        {
            Errors[""] = "Account.Error.SignInMissing";
            return Page();
        }

        try
        {
            var session = await api.SignInAsync(Email.Trim(), Password, cancellationToken);
            Sessions.Write(HttpContext, new PortalSession(session.Key, Email.Trim(), session.ExpiresAt));
            return Redirect("/account");
        }
        catch (GatewayException e) when (e.Status is 400 or 401)
        {
            Errors[""] = "Account.Error.SignInFailed";
        }
        catch (GatewayException e) when (e.Status == 403)
        {
            Errors[""] = "Account.Error.NotConfirmed";
        }
        catch (GatewayException e) when (e.Status is 423 or 429)
        {
            Errors[""] = "Account.Error.Locked";
            RetryAfterSeconds = e.RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : null;
        }

        return Page();
    }
}
