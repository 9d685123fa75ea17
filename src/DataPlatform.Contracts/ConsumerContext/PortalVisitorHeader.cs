using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace DataPlatform.Contracts.ConsumerContext;

/// <summary>
/// How the portal tells the gateway whose request it is making for an anonymous visitor: the visitor's address,
/// a time and an HMAC of both under the portal-proxy secret, which only the portal and the gateway hold. The
/// gateway then limits the call as that visitor rather than as the portal. The header is in the gateway's
/// reserved namespace, so it is dropped from every request before an upstream sees it, and one that does not
/// verify is ignored: a client that forges it is limited as itself.
/// </summary>
/// <remarks>
/// The format is <c>v1 {address} {unix seconds} {base64url(HMAC-SHA256(secret, "v1 {address} {unix seconds}"))}</c>.
/// A signature rather than the secret itself travels, so a header that leaks (a log, a trace) cannot be used to
/// claim another address, and is worthless after <see cref="MaxAge"/>.
/// </remarks>
public static class PortalVisitorHeader
{
    /// <summary>The header name, inside <see cref="ConsumerContextHeader.ReservedPrefix"/>.</summary>
    public const string Name = "X-DataPlatform-Portal-Visitor";

    /// <summary>How far a header's time may be from the gateway's clock.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    const string Version = "v1";

    /// <summary>The header value that vouches for <paramref name="visitor"/> at <paramref name="now"/>.</summary>
    public static string Sign(IPAddress visitor, DateTimeOffset now, ReadOnlySpan<byte> secret)
    {
        var signed = string.Create(CultureInfo.InvariantCulture, $"{Version} {visitor} {now.ToUnixTimeSeconds()}");
        return signed + " " + Base64Url.EncodeToString(Mac(secret, signed));
    }

    /// <summary>The visitor's address when <paramref name="value"/> is well formed, correctly signed and fresh; otherwise <c>null</c>.</summary>
    public static IPAddress? Verify(string? value, ReadOnlySpan<byte> secret, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 200)
        {
            return null;
        }

        var lastSpace = value.LastIndexOf(' ');
        var parts = value.Split(' ');
        if (parts.Length != 4 || parts[0] != Version || lastSpace < 0
            || !IPAddress.TryParse(parts[1], out var visitor)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Base64Url.TryDecodeFromChars(parts[3], given, out var written) || written != HMACSHA256.HashSizeInBytes
            || !CryptographicOperations.FixedTimeEquals(given, Mac(secret, value[..lastSpace])))
        {
            return null;
        }

        var age = now - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
        return age > MaxAge || age < -MaxAge ? null : visitor;
    }

    static byte[] Mac(ReadOnlySpan<byte> secret, string signed) =>
        HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signed));
}
