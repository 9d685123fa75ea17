using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// Signing out: a POST (from the header's button or this page's), which ends the session at billing, so the key
/// stops working on every gateway, and clears the cookie. Opened with GET, the page only offers the button.
/// </summary>
internal sealed class SignOutModel(GatewayClient api, SessionCookie sessions) : AccountPageModel(sessions)
{
    public IActionResult OnGet() => Session is null ? Redirect("/") : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (Session is not null)
        {
            try
            {
                await api.SignOutAsync(cancellationToken);
            }
            catch (GatewayException)
            {
                // A session that ended already (expired, revoked, its password reset) needs no ending; the cookie goes anyway.
            }
        }

        Sessions.Clear(HttpContext);
        return Redirect("/");
    }
}
