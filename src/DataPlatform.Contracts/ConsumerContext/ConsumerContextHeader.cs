using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DataPlatform.Contracts.ConsumerContext;

/// <summary>The outcome of reading a consumer-context header.</summary>
public enum ConsumerContextVerdict
{
    /// <summary>The header is well formed, correctly signed and fresh.</summary>
    Valid,

    /// <summary>The header cannot be parsed.</summary>
    Malformed,

    /// <summary>The signature does not match the shared secret.</summary>
    BadSignature,

    /// <summary>The signature is good but the context is older than the allowed age.</summary>
    Expired,
}

/// <summary>
/// Signs and verifies the consumer-context header that the gateway adds to each proxied request.
/// </summary>
/// <remarks>
/// The format is <c>v1.{base64url(json)}.{base64url(HMAC-SHA256(secret, "v1." + payload))}</c>. A plain HMAC
/// over a compact JSON payload is enough here: the header only travels between the gateway and the
/// upstreams, both of which hold the secret, so a JWT library would add parsing cost without adding trust.
/// </remarks>
public static class ConsumerContextHeader
{
    /// <summary>The header name. The gateway strips every incoming header with the <see cref="ReservedPrefix"/>.</summary>
    public const string Name = "X-DataPlatform-Consumer";

    /// <summary>Headers with this prefix are the gateway's alone; it removes them from incoming requests.</summary>
    public const string ReservedPrefix = "X-DataPlatform-";

    /// <summary>
    /// How old a context may be before an upstream refuses it, unless configured otherwise
    /// (<c>DataPlatform:ConsumerContextMaxAgeSeconds</c>). The signature covers the time the gateway signed it, so a
    /// header captured on the internal network and sent again later, or a stale one, is refused after this long,
    /// and nothing in it can be changed.
    /// </summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromSeconds(30);

    const string Version = "v1";
    static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    /// <summary>Signs <paramref name="context"/> into a header value.</summary>
    public static string Sign(ConsumerContext context, ReadOnlySpan<byte> secret)
    {
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(context, _json));
        var signed = Version + "." + payload;
        return signed + "." + Base64Url.EncodeToString(Mac(secret, signed));
    }

    /// <summary>Reads and checks a header value.</summary>
    /// <param name="value">The header value.</param>
    /// <param name="secret">The secret shared between the gateway and the upstreams.</param>
    /// <param name="now">The current time.</param>
    /// <param name="context">The context, when the verdict is <see cref="ConsumerContextVerdict.Valid"/>.</param>
    /// <param name="maxAge">How far from <paramref name="now"/> the signing time may be, either way; <see cref="DefaultMaxAge"/> when <c>null</c>.</param>
    public static ConsumerContextVerdict Verify(
        string value, ReadOnlySpan<byte> secret, DateTimeOffset now, out ConsumerContext? context, TimeSpan? maxAge = null)
    {
        context = null;
        var lastDot = value.LastIndexOf('.');
        if (!value.StartsWith(Version + ".", StringComparison.Ordinal) || lastDot <= Version.Length)
        {
            return ConsumerContextVerdict.Malformed;
        }

        var signed = value[..lastDot];
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var signature = value.AsSpan(lastDot + 1);
        if (!Base64Url.IsValid(signature, out var length) || length != HMACSHA256.HashSizeInBytes
            || !Base64Url.TryDecodeFromChars(signature, given, out var written)
            || written != HMACSHA256.HashSizeInBytes)
        {
            return ConsumerContextVerdict.Malformed;
        }

        if (!CryptographicOperations.FixedTimeEquals(given, Mac(secret, signed)))
        {
            return ConsumerContextVerdict.BadSignature;
        }

        try
        {
            var json = Base64Url.DecodeFromChars(signed.AsSpan(Version.Length + 1));
            context = JsonSerializer.Deserialize<ConsumerContext>(json, _json);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return ConsumerContextVerdict.Malformed;
        }

        if (context is null)
        {
            return ConsumerContextVerdict.Malformed;
        }

        var age = now - context.IssuedAt;
        var allowed = maxAge ?? DefaultMaxAge;
        if (age > allowed || age < -allowed)
        {
            context = null;
            return ConsumerContextVerdict.Expired;
        }

        return ConsumerContextVerdict.Valid;
    }

    static byte[] Mac(ReadOnlySpan<byte> secret, string signed) =>
        HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signed));
}
