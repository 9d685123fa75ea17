using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// The page the confirmation mail links to. Opening it changes nothing: the address is confirmed by the button, a
/// POST, so that a mail scanner that follows links cannot spend the token on the person's behalf.
/// </summary>
internal sealed class ConfirmModel(GatewayClient api, SessionCookie sessions) : AccountPageModel(sessions)
{
    [BindProperty(SupportsGet = true)]
    public string? Token { get; set; }

    public bool Confirmed { get; private set; }

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

        try
        {
            await api.ConfirmEmailAsync(Token, cancellationToken);
            Confirmed = true;
        }
        catch (GatewayException e) when (e.Status is 400 or 404)
        {
            Invalid = true;
        }

        return Page();
    }
}
