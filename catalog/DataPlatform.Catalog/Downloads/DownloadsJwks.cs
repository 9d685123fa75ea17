using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// The JSON Web Key Set of the download signatures: the current signing key, and every older key that a cached
/// file's signature still names. A rotated-out key therefore disappears from the set only when the last file signed
/// with it is gone (its version dropped by retention, or the cache cleared), so no published signature ever points
/// at a key that cannot be fetched.
/// </summary>
sealed class DownloadsJwks(DownloadPaths paths, SigningKeys keys, TimeProvider time)
{
    static readonly TimeSpan _freshFor = TimeSpan.FromSeconds(30);
    readonly Lock _lock = new();
    (DateTimeOffset At, string Json)? _cached;

    public string Json()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_cached is { } cached && now - cached.At < _freshFor)
            {
                return cached.Json;
            }

            var current = keys.Current();
            var published = new List<SigningKey> { current };
            foreach (var kid in ReferencedKids().Where(k => k != current.Kid).Order(StringComparer.Ordinal))
            {
                if (keys.Find(kid) is { } key)
                {
                    published.Add(key);
                }
            }

            var json = new JsonObject { ["keys"] = new JsonArray(published.Select(k => (JsonNode)k.PublicJwk()).ToArray()) }.ToJsonString();
            _cached = (now, json);
            return json;
        }
    }

    /// <summary>Forgets the cached set, after a rotation or a sweep.</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            _cached = null;
        }
    }

    /// <summary>The key ids named by the signatures of the cached files.</summary>
    HashSet<string> ReferencedKids()
    {
        var kids = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(paths.Files))
        {
            return kids;
        }

        foreach (var file in Directory.EnumerateFiles(paths.Files, "*.jws", SearchOption.AllDirectories))
        {
            try
            {
                var header = File.ReadAllText(file).Split('.')[0];
                using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(header));
                if (document.RootElement.TryGetProperty("kid", out var kid) && kid.GetString() is { } value)
                {
                    kids.Add(value);
                }
            }
            catch (Exception e) when (e is IOException or FormatException or JsonException)
            {
                // A signature being replaced or removed right now; the next refresh sees the folder as it settled.
            }
        }

        return kids;
    }
}
