using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// The developer's API keys: when each was made and last used, and forms to create, rotate and revoke them. A new
/// key (made or rotated) is shown once, in the answer to the POST that made it, never in a URL; the page is not
/// cached. The portal's own session keys are not listed: signing out ends them.
/// </summary>
internal sealed class KeysModel(GatewayClient api, SessionCookie sessions) : AccountPageModel(sessions)
{
    public IReadOnlyList<KeyView> Keys { get; private set; } = [];

    /// <summary>The key just made or rotated, shown this once.</summary>
    public IssuedKeyView? Issued { get; private set; }

    /// <summary>What was just done, from the redirect after a revocation.</summary>
    [BindProperty(SupportsGet = true, Name = "done")]
    public string? Done { get; set; }

    [BindProperty]
    public string? Name { get; set; }

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => SignedInAsync(async () =>
    {
        Done = Done is "revoked" ? Done : null;
        await LoadAsync(cancellationToken);
        return Page();
    });

    public Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken) => SignedInAsync(async () =>
    {
        NoStore();
        if (string.IsNullOrWhiteSpace(Name) || Name.Trim().Length > 100)
        {
            Errors["Name"] = "Account.Error.KeyName";
        }
        else
        {
            Issued = await api.CreateKeyAsync(Name.Trim(), cancellationToken);
            Name = null;
        }

        await LoadAsync(cancellationToken);
        return Page();
    });

    public Task<IActionResult> OnPostRotateAsync(string id, CancellationToken cancellationToken) => SignedInAsync(async () =>
    {
        NoStore();
        try
        {
            Issued = await api.RotateKeyAsync(id, cancellationToken);
        }
        catch (GatewayException e) when (e.Status is 404 or 409)
        {
            Errors[""] = "Account.Error.KeyGone";
        }

        await LoadAsync(cancellationToken);
        return Page();
    });

    public Task<IActionResult> OnPostRevokeAsync(string id, CancellationToken cancellationToken) => SignedInAsync(async () =>
    {
        try
        {
            await api.RevokeKeyAsync(id, cancellationToken);
        }
        catch (GatewayException e) when (e.Status == 404)
        {
            // Gone already: the list shows it as it is.
        }

        return Redirect("/account/keys?done=revoked");
    });

    async Task LoadAsync(CancellationToken cancellationToken) =>
        Keys = (await api.ListKeysAsync(cancellationToken)).Where(k => !k.IsSession).OrderByDescending(k => k.CreatedAt).ToList();
}
