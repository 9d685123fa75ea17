using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// The page the reset mail links to: the new password, typed twice, is posted with the token from the link. The
/// token works once; billing then ends the person's open sessions, so the portal forgets its own too.
/// </summary>
internal sealed class ResetPasswordModel(GatewayClient api, SessionCookie sessions) : AccountPageModel(sessions)
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? Repeat { get; set; }

    public bool Done { get; private set; }

    public bool Invalid { get; private set; }

    public void OnGet()
    {
        NoStore();
        Invalid = string.IsNullOrWhiteSpace(Token);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        NoStore();
        if (string.IsNullOrWhiteSpace(Token))
        {
            Invalid = true;
            return Page();
        }

        if (Password is null || Password.Length < MinimumPasswordLength)
        {
            Errors["Password"] = "Account.Error.PasswordLength";
        }
        else if (Password != Repeat)
        {
            Errors["Repeat"] = "Account.Error.Repeat";
        }

        if (Errors.Count > 0)
        {
            return Page();
        }

        try
        {
            await api.CompletePasswordResetAsync(Token, Password!, cancellationToken);
            Sessions.Clear(HttpContext);
            Done = true;
        }
        catch (GatewayException e) when (e.Status == 400)
        {
            Invalid = true;
        }

        return Page();
    }
}
