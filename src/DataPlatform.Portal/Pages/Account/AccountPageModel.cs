using System.Net.Mail;
using DataPlatform.Contracts.Problems;
using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// What the account pages share: who is signed in, the way back to the sign-in page when the session is missing or
/// has ended at the gateway (the key revoked, expired, or its password reset), and the plain checks of a form that
/// the visitor is told about in their language before anything reaches the API.
/// </summary>
internal abstract class AccountPageModel(SessionCookie sessions) : PageModel
{
    public const int MinimumPasswordLength = 10;

    public PortalSession? Session => sessions.Read(HttpContext);

    /// <summary>Errors of the form, by field (<c>""</c> for the form as a whole), as resource names.</summary>
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    protected SessionCookie Sessions => sessions;

    public static bool IsEmail(string? value) =>
        !string.IsNullOrWhiteSpace(value) && MailAddress.TryCreate(value.Trim(), out var address) && address.Address == value.Trim();

    protected IActionResult ToSignIn()
    {
        sessions.Clear(HttpContext);
        return Redirect("/account/signin");
    }

    /// <summary>Runs a signed-in page's work; a session the API no longer accepts sends the visitor to sign in again.</summary>
    protected async Task<IActionResult> SignedInAsync(Func<Task<IActionResult>> work)
    {
        if (Session is null)
        {
            return ToSignIn();
        }

        try
        {
            return await work();
        }
        catch (GatewayException e) when (e.Status == 401 || e.Type is GatewayProblemTypes.RevokedApiKey or GatewayProblemTypes.ExpiredApiKey)
        {
            return ToSignIn();
        }
    }

    /// <summary>Pages that show a key or take a password are neither cached nor kept in the history's cache.</summary>
    protected void NoStore() => Response.Headers.CacheControl = "no-store";
}
