using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace DataPlatform.Portal.Assets;

/// <summary>One of the portal's static files, held in memory with a version derived from its content.</summary>
internal sealed record AssetFile(string Name, string ContentType, byte[] Content, string Version);

/// <summary>
/// The portal's few static files (one stylesheet, one small script), embedded in its assembly so that it serves
/// the same files wherever it runs from. Pages link them with <c>?v=</c> and their content hash, so a browser may
/// keep them for a year and still never uses a stale one.
/// </summary>
internal sealed class AssetFiles
{
    readonly FrozenDictionary<string, AssetFile> _files;

    public AssetFiles()
    {
        var assembly = typeof(AssetFiles).Assembly;
        const string Prefix = "DataPlatform.Portal.Assets.";
        _files = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(name =>
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                var content = memory.ToArray();
                var file = name[Prefix.Length..];
                var type = file.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
                return new AssetFile(file, type, content, Convert.ToHexStringLower(SHA256.HashData(content))[..12]);
            })
            .ToFrozenDictionary(file => file.Name, StringComparer.Ordinal);
    }

    public AssetFile? Find(string name) => _files.GetValueOrDefault(name);

    /// <summary>The versioned path of a file, for a link in a page.</summary>
    public string Url(string name) => "/assets/" + name + "?v=" + (_files.TryGetValue(name, out var file) ? file.Version : "0");
}

internal static class AssetsApi
{
    public static IEndpointRouteBuilder MapAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assets/{name}", GetAsset).WithName("GetAsset").ExcludeFromDescription();
        return app;
    }

    static IResult GetAsset(string name, HttpContext context, AssetFiles files)
    {
        if (files.Find(name) is not { } file)
        {
            return TypedResults.NotFound();
        }

        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return TypedResults.Bytes(file.Content, file.ContentType, entityTag: new EntityTagHeaderValue("\"" + file.Version + "\""));
    }
}
