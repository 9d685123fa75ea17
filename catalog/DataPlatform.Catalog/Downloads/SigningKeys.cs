using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Downloads;

/// <summary>One of the platform's ECDSA P-256 signing keys.</summary>
/// <param name="Kid">The key id: its RFC 7638 JWK thumbprint, so anyone can recompute it from the public key.</param>
/// <param name="CreatedAt">When it was made; it signs new files until it is older than the rotation age.</param>
/// <param name="Key">The key pair.</param>
/// <param name="Certificate">A self-signed certificate of the public key (DER), published as the JWK's <c>x5c</c> so that openssl can read it.</param>
sealed record SigningKey(string Kid, DateTimeOffset CreatedAt, ECDsa Key, byte[] Certificate)
{
    /// <summary>The public key as a JWK (RFC 7517/7518), with the certificate for tools that read X.509.</summary>
    public JsonObject PublicJwk()
    {
        var parameters = Key.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64Url.EncodeToString(parameters.Q.X),
            ["y"] = Base64Url.EncodeToString(parameters.Q.Y),
            ["kid"] = Kid,
            ["use"] = "sig",
            ["alg"] = "ES256",
            ["x5c"] = new JsonArray(Convert.ToBase64String(Certificate)),
        };
    }
}

/// <summary>
/// The platform's download signing keys, kept as files under the data directory (one JSON file per key, readable by
/// the service's user only). The newest key signs; when it is older than
/// <see cref="DownloadOptions.RotateSigningKeyAfterDays"/> a new one is made. Old keys stay on disk and in the JWKS
/// for as long as a cached file's signature names them (<see cref="DownloadsJwks"/>).
/// </summary>
sealed class SigningKeys(IOptions<DownloadOptions> options, DownloadPaths paths, TimeProvider time)
{
    readonly Lock _lock = new();
    readonly Dictionary<string, SigningKey> _keys = new(StringComparer.Ordinal);
    bool _loaded;

    /// <summary>The key that signs files now, made or rotated as needed.</summary>
    public SigningKey Current()
    {
        lock (_lock)
        {
            Load();
            var newest = _keys.Values.MaxBy(k => k.CreatedAt);
            var maxAge = TimeSpan.FromDays(options.Value.RotateSigningKeyAfterDays);
            if (newest is not null && time.GetUtcNow() - newest.CreatedAt < maxAge)
            {
                return newest;
            }

            var created = Create();
            _keys[created.Kid] = created;
            return created;
        }
    }

    /// <summary>The key with <paramref name="kid"/>, or <c>null</c>; rereads the folder, which another instance may have added to.</summary>
    public SigningKey? Find(string kid)
    {
        lock (_lock)
        {
            if (!_keys.ContainsKey(kid))
            {
                _loaded = false;
                Load();
            }

            return _keys.GetValueOrDefault(kid);
        }
    }

    void Load()
    {
        if (_loaded)
        {
            return;
        }

        Directory.CreateDirectory(paths.SigningKeys);
        foreach (var file in Directory.EnumerateFiles(paths.SigningKeys, "*.json"))
        {
            var stored = JsonSerializer.Deserialize<StoredKey>(File.ReadAllText(file), DatasetsJson.Options);
            if (stored is null || _keys.ContainsKey(stored.Kid))
            {
                continue;
            }

            var key = ECDsa.Create();
            key.ImportFromPem(stored.PrivateKey);
            _keys[stored.Kid] = new SigningKey(stored.Kid, stored.CreatedAt, key, Convert.FromBase64String(stored.Certificate));
        }

        _loaded = true;
    }

    SigningKey Create()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(false);
        var kid = Thumbprint(parameters);
        var now = time.GetUtcNow();
        var request = new CertificateRequest($"CN=DataPlatform download signing key {kid}, O=Bo Noi vu", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        var stored = new StoredKey(kid, now, key.ExportPkcs8PrivateKeyPem(), Convert.ToBase64String(certificate.RawData));
        var path = Path.Combine(paths.SigningKeys, kid + ".json");
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(stored, DatasetsJson.Options));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
        return new SigningKey(kid, now, key, certificate.RawData);
    }

    /// <summary>RFC 7638: SHA-256 over the required members in lexicographic order, base64url.</summary>
    static string Thumbprint(ECParameters parameters)
    {
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64Url.EncodeToString(parameters.Q.X)}\",\"y\":\"{Base64Url.EncodeToString(parameters.Q.Y)}\"}}";
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    sealed record StoredKey(string Kid, DateTimeOffset CreatedAt, string PrivateKey, string Certificate);
}

/// <summary>The JSON options of the key files.</summary>
static class DatasetsJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
