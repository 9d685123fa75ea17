using DataPlatform.Contracts.Downloads;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Downloads;

/// <summary>Where downloads and signing keys live on disk.</summary>
sealed class DownloadPaths(IOptions<DownloadOptions> options, IOptions<PlatformOptions> platform)
{
    /// <summary>The root of the materialised files; the gateway is handed paths relative to it.</summary>
    public string Files { get; } = Path.GetFullPath(string.IsNullOrWhiteSpace(options.Value.Directory)
        ? Path.Combine(platform.Value.DataDirectoryPath, FileHandoff.DirectoryName)
        : options.Value.Directory);

    /// <summary>The folder of the signing keys.</summary>
    public string SigningKeys { get; } = Path.GetFullPath(string.IsNullOrWhiteSpace(options.Value.SigningKeysDirectory)
        ? Path.Combine(platform.Value.DataDirectoryPath, "signing-keys")
        : options.Value.SigningKeysDirectory);

    /// <summary>Where filtered Parquet exports are spooled while they are written; the files delete themselves.</summary>
    public string Spool => Path.Combine(Files, ".spool");
}
