using DataPlatform.Catalog.Storage;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// Removes the cached files of versions whose rows are gone (dropped by retention, or the dataset deleted), and the
/// leftovers of builds interrupted by a crash. Folders are named after version tables, which are never reused.
/// </summary>
sealed partial class DownloadCacheSweeper(
    PlatformDatabase database, DownloadPaths paths, DownloadsJwks jwks, IOptions<DownloadOptions> options, TimeProvider time,
    ILogger<DownloadCacheSweeper> logger) : BackgroundService
{
    /// <summary>A folder younger than this is left alone: its version may have been published after the table list was read.</summary>
    static readonly TimeSpan _grace = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.SweepEveryMinutes), time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(paths.Files))
        {
            return 0;
        }

        var tables = new HashSet<string>(StringComparer.Ordinal);
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        await using (var command = connection.Command("SELECT table_name FROM dataset_versions WHERE table_name IS NOT NULL"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var removed = 0;
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var folder in Directory.EnumerateDirectories(paths.Files))
        {
            var name = Path.GetFileName(folder);
            if (tables.Contains(name) || name.StartsWith('.') || now - Directory.GetLastWriteTimeUtc(folder) < _grace)
            {
                continue;
            }

            Directory.Delete(folder, recursive: true);
            removed++;
        }

        foreach (var temp in Directory.EnumerateFiles(paths.Files, "*.tmp", SearchOption.AllDirectories))
        {
            if (now - File.GetLastWriteTimeUtc(temp) > TimeSpan.FromHours(6))
            {
                File.Delete(temp);
            }
        }

        if (removed > 0)
        {
            jwks.Invalidate();
            LogSwept(logger, removed);
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the cached downloads of {Count} dropped version(s)")]
    static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping the download cache failed: {Reason}")]
    static partial void LogSweepFailed(ILogger logger, string reason);
}
