using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace DataPlatform.Catalog.Downloads;

/// <summary>Which materialised file: one per version table, view, format and CSV variant.</summary>
/// <param name="DatasetId">The dataset, for the file's public name and the signature's header.</param>
/// <param name="Version">The version number.</param>
/// <param name="Table">The version's physical table: unique for every version ever published, so a cached file never outlives its data.</param>
/// <param name="Full">True for the view with personal and sensitive columns, which only entitled callers get.</param>
/// <param name="Format">The format.</param>
/// <param name="Bom">For CSV, whether the file starts with a byte order mark.</param>
/// <param name="EscapeFormulas">For CSV, whether text cells that spreadsheets would run as formulas are neutralised.</param>
sealed record FileKey(string DatasetId, int Version, string Table, bool Full, DownloadFormat Format, bool Bom, bool EscapeFormulas)
{
    /// <summary>
    /// The path under the downloads root, with forward slashes, as the gateway is handed it. Each CSV variant is a
    /// file of its own, with its own digest and signature. The raw CSV keeps the name CSV files had before formulas
    /// were neutralised (<c>data.csv</c>), so a file cached then is still the right one for what it holds.
    /// </summary>
    public string RelativePath => $"{Table}/{(Full ? "full" : "public")}/data{Variant}.{Format.Extension()}";

    string Variant => Format != DownloadFormat.Csv ? "" : (EscapeFormulas ? "-escaped" : "") + (Bom ? "" : "-nobom");

    /// <summary>The name clients save the file as.</summary>
    public string DownloadName => $"{DatasetId}-v{Version}.{Format.Extension()}";
}

/// <summary>A complete materialised file with its digest and signature.</summary>
sealed record MaterialisedFile(FileKey Key, string FullPath, long Length, DateTimeOffset LastModified, string Sha256, string Jws)
{
    /// <summary>A strong entity tag: the first 128 bits of the content's SHA-256.</summary>
    public string EntityTag => "\"" + Sha256[..32] + "\"";

    /// <summary>The digest in the format <c>sha256sum -c</c> reads.</summary>
    public string Sha256File => $"{Sha256}  {Key.DownloadName}\n";
}

/// <summary>
/// The cache of materialised full-version files. A file is written once, under a temporary name in its final
/// folder, hashed, signed, and only then moved into place, after its digest and signature: a file that exists is
/// complete. Concurrent first requests in this process share one build; instances that share the folder serialise
/// on a lock file. The build runs on the service's lifetime, not the first caller's request, so a client that
/// leaves does not waste the work of the others, and a build that fails leaves nothing behind.
/// </summary>
sealed partial class MaterialisedFiles(DownloadPaths paths, SigningKeys keys, IHostApplicationLifetime lifetime, ILogger<MaterialisedFiles> logger)
{
    readonly ConcurrentDictionary<string, Lazy<Task<MaterialisedFile>>> _building = new(StringComparer.Ordinal);

    /// <summary>The file of <paramref name="key"/>, built with <paramref name="write"/> when it is not cached yet.</summary>
    public async Task<MaterialisedFile> GetAsync(FileKey key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var path = FullPath(key);
        if (TryLoad(key, path) is { } cached)
        {
            return cached;
        }

        var build = _building.GetOrAdd(path, _ => new Lazy<Task<MaterialisedFile>>(() => BuildOnceAsync(key, path, write)));
        return await build.Value.WaitAsync(cancellationToken);
    }

    /// <summary>Builds the file, then forgets the build, so that a failed one is retried by the next request.</summary>
    async Task<MaterialisedFile> BuildOnceAsync(FileKey key, string path, Func<Stream, CancellationToken, Task> write)
    {
        try
        {
            return await BuildAsync(key, path, write);
        }
        finally
        {
            _building.TryRemove(path, out _);
        }
    }

    /// <summary>The cached file of <paramref name="key"/>, or <c>null</c> when it has not been built.</summary>
    public MaterialisedFile? Find(FileKey key) => TryLoad(key, FullPath(key));

    string FullPath(FileKey key) => Path.Combine(paths.Files, key.RelativePath);

    static MaterialisedFile? TryLoad(FileKey key, string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }

            var sha256 = File.ReadAllText(path + ".sha256").Split(' ', 2)[0];
            var jws = File.ReadAllText(path + ".jws").Trim();
            return new MaterialisedFile(key, path, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero), sha256, jws);
        }
        catch (IOException)
        {
            return null;
        }
    }

    async Task<MaterialisedFile> BuildAsync(FileKey key, string path, Func<Stream, CancellationToken, Task> write)
    {
        var stopping = lifetime.ApplicationStopping;
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        await using var exclusive = await LockAsync(path + ".lock", stopping);
        if (TryLoad(key, path) is { } built)
        {
            return built;
        }

        var started = TimeProvider.System.GetTimestamp();
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await write(file, stopping);
                await file.FlushAsync(stopping);
            }

            var signingKey = keys.Current();
            var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(new JsonObject
            {
                ["alg"] = "ES256",
                ["kid"] = signingKey.Kid,
                // RFC 7797: the payload is the file's bytes as they are, not base64url, so openssl can verify it as a stream.
                ["b64"] = false,
                ["crit"] = new JsonArray("b64"),
                ["dataset"] = key.DatasetId,
                ["version"] = key.Version,
            }.ToJsonString()));
            var (sha256, signingInputHash) = await HashAsync(temp, header, stopping);
            var signature = signingKey.Key.SignHash(signingInputHash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            var jws = header + ".." + Base64Url.EncodeToString(signature);

            await ReplaceAsync(path + ".sha256", $"{Convert.ToHexStringLower(sha256)}  {key.DownloadName}\n", stopping);
            await ReplaceAsync(path + ".jws", jws + "\n", stopping);
            File.Move(temp, path, overwrite: true);
            LogBuilt(logger, key.RelativePath, new FileInfo(path).Length, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
            return TryLoad(key, path) ?? throw new IOException($"The materialised file {key.RelativePath} vanished after it was written.");
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>One pass over the file: its SHA-256, and the SHA-256 of the JWS signing input (header, a dot, the bytes).</summary>
    static async Task<(byte[] Sha256, byte[] SigningInput)> HashAsync(string path, string header, CancellationToken cancellationToken)
    {
        using var content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var signingInput = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        signingInput.AppendData(Encoding.ASCII.GetBytes(header + "."));
        var buffer = new byte[1 << 20];
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0)
        {
            content.AppendData(buffer, 0, read);
            signingInput.AppendData(buffer, 0, read);
        }

        return (content.GetHashAndReset(), signingInput.GetHashAndReset());
    }

    static async Task ReplaceAsync(string path, string text, CancellationToken cancellationToken)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllTextAsync(temp, text, new UTF8Encoding(false), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>An exclusive lock shared with other processes: .NET takes an advisory flock for FileShare.None on Unix.</summary>
    static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Materialised {File}: {Bytes} bytes in {Seconds:F1} s")]
    static partial void LogBuilt(ILogger logger, string file, long bytes, double seconds);
}
