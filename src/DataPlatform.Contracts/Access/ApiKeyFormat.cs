using System.Security.Cryptography;
using System.Text;

namespace DataPlatform.Contracts.Access;

/// <summary>
/// The API key format: <c>dp_</c>, 32 random base62 characters, then a 6-character checksum of them. The
/// prefix makes a leaked key recognisable to secret scanners; the checksum lets the gateway refuse a
/// mistyped key without asking Redis. Keys are stored and looked up only by <see cref="Hash"/>.
/// </summary>
public static class ApiKeyFormat
{
    /// <summary>Every key starts with this.</summary>
    public const string Prefix = "dp_";

    const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const int RandomLength = 32;
    const int ChecksumLength = 6;

    /// <summary>The length of every well-formed key.</summary>
    public const int Length = 3 + RandomLength + ChecksumLength;

    /// <summary>Makes a new key from a cryptographic random source.</summary>
    public static string Generate()
    {
        var random = RandomNumberGenerator.GetString(Alphabet, RandomLength);
        return Prefix + random + Checksum(random);
    }

    /// <summary>True when <paramref name="key"/> has the prefix, the length, the alphabet and a matching checksum.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> key)
    {
        if (key.Length != Length || !key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var body = key[Prefix.Length..];
        foreach (var c in body)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        Span<char> expected = stackalloc char[ChecksumLength];
        Checksum(body[..RandomLength], expected);
        return body[RandomLength..].SequenceEqual(expected);
    }

    /// <summary>The lowercase hex SHA-256 of the key: the only form in which a key is stored or looked up.</summary>
    public static string Hash(ReadOnlySpan<char> key)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var written = Encoding.UTF8.GetBytes(key, utf8);
        return Convert.ToHexStringLower(SHA256.HashData(utf8[..written]));
    }

    /// <summary>The first characters of a key, safe to show in lists so people can tell their keys apart.</summary>
    public static string Hint(string key) => key.Length > 9 ? key[..9] + "…" : key;

    static string Checksum(string random)
    {
        Span<char> checksum = stackalloc char[ChecksumLength];
        Checksum(random, checksum);
        return new string(checksum);
    }

    static void Checksum(ReadOnlySpan<char> random, Span<char> destination)
    {
        Span<byte> ascii = stackalloc byte[RandomLength];
        Encoding.ASCII.GetBytes(random, ascii);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(ascii, hash);
        var value = BitConverter.ToUInt64(hash);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = Alphabet[(int)(value % 62)];
            value /= 62;
        }
    }
}
