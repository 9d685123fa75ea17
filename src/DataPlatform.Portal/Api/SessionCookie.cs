using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace DataPlatform.Portal.Api;

/// <summary>A signed-in person as the portal remembers them: the session key billing issued, and whom it belongs to.</summary>
internal sealed record PortalSession(string Key, string Email, DateTimeOffset Expires);

/// <summary>
/// Keeps a signed-in person's session key in a cookie that only the server can read: encrypted and authenticated
/// with ASP.NET Data Protection, HttpOnly (no script reads it), SameSite=Lax (not sent on another site's POST) and
/// Secure whenever the visitor came over HTTPS. The key never appears in a URL, a page or a log.
/// </summary>
internal sealed class SessionCookie(IDataProtectionProvider protection, TimeProvider time)
{
    public const string Name = "dp_session";
    readonly IDataProtector _protector = protection.CreateProtector("DataPlatform.Portal.Session.v1");

    public PortalSession? Read(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(PortalSession), out var cached))
        {
            return cached as PortalSession;
        }

        PortalSession? session = null;
        if (context.Request.Cookies.TryGetValue(Name, out var value) && !string.IsNullOrEmpty(value))
        {
            try
            {
                session = JsonSerializer.Deserialize<PortalSession>(_protector.Unprotect(value));
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
            {
                // A cookie from before a key change, or tampered with: the visitor is simply not signed in.
                session = null;
            }

            if (session is not null && session.Expires <= time.GetUtcNow())
            {
                session = null;
            }
        }

        context.Items[typeof(PortalSession)] = session;
        return session;
    }

    public void Write(HttpContext context, PortalSession session)
    {
        context.Response.Cookies.Append(Name, _protector.Protect(JsonSerializer.Serialize(session)), Options(context, session.Expires));
        context.Items[typeof(PortalSession)] = session;
    }

    public void Clear(HttpContext context)
    {
        context.Response.Cookies.Delete(Name, Options(context, null));
        context.Items[typeof(PortalSession)] = null;
    }

    static CookieOptions Options(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = context.Request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
