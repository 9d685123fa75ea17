using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// Opening a developer account: name, e-mail and password. Billing mails a confirmation link and answers the same
/// whether or not the address has an account, so this page does too.
/// </summary>
internal sealed class SignUpModel(GatewayClient api, SessionCookie sessions) : AccountPageModel(sessions)
{
    [BindProperty]
    public string? DisplayName { get; set; }

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public bool Sent { get; private set; }

    public IActionResult OnGet() => Session is null ? Page() : Redirect("/account");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        NoStore();
        if (string.IsNullOrWhiteSpace(DisplayName))
        {
            Errors["DisplayName"] = "Account.Error.NameRequired";
        }

        if (!IsEmail(Email))
        {
            Errors["Email"] = "Account.Error.Email";
        }

        if (Password is null || Password.Length < MinimumPasswordLength)
        {
            Errors["Password"] = "Account.Error.PasswordLength";
        }

        if (Errors.Count > 0)
        {
            return Page();
        }

        try
        {
            await api.SignUpAsync(Email!.Trim(), Password!, DisplayName!.Trim(), cancellationToken);
            Sent = true;
        }
        catch (GatewayException e) when (e.Status == 400)
        {
            Errors[""] = "Account.Error.Refused";
        }

        return Page();
    }
}
