using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// Asking for a password reset link. The page says the same thing whatever the address, as billing answers: it
/// never tells a visitor whether someone is registered.
/// </summary>
internal sealed class ForgotPasswordModel(GatewayClient api, SessionCookie sessions) : AccountPageModel(sessions)
{
    [BindProperty]
    public string? Email { get; set; }

    public bool Sent { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!IsEmail(Email))
        {
            Errors["Email"] = "Account.Error.Email";
            return Page();
        }

        await api.RequestPasswordResetAsync(Email!.Trim(), cancellationToken);
        Sent = true;
        return Page();
    }
}
