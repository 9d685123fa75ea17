using System.Collections.Concurrent;
using DataPlatform.Catalog.Datasets;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// Counts downloads per dataset, for the catalog's "most downloaded" order. A download is one GET of a dataset's
/// file (whole or filtered, any format) that starts at its first byte: HEAD requests, digests, signatures and the
/// later ranges of a resumed download do not count. Counts gather in memory and are added to the datasets' totals
/// every <see cref="DownloadOptions.CountFlushSeconds"/> seconds and when the catalog stops, so a busy dataset costs
/// one UPDATE per interval rather than one per download.
/// </summary>
sealed partial class DownloadCounter(DatasetStore store, IOptions<DownloadOptions> options, TimeProvider time, ILogger<DownloadCounter> logger)
    : BackgroundService
{
    readonly ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);

    /// <summary>Counts one download of <paramref name="datasetId"/> when <paramref name="request"/> is one.</summary>
    public void Count(string datasetId, HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method))
        {
            return;
        }

        var range = request.Headers.Range.ToString();
        if (range.Length > 0 && !range.Replace(" ", "", StringComparison.Ordinal).StartsWith("bytes=0-", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        _pending.AddOrUpdate(datasetId, 1, (_, count) => count + 1);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CountFlushSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the last counts are written by StopAsync.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    /// <summary>Adds what was counted since the last flush to the stored totals.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var taken = new List<KeyValuePair<string, long>>();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var count) && count > 0)
            {
                taken.Add(new(id, count));
            }
        }

        if (taken.Count == 0)
        {
            return;
        }

        try
        {
            await store.AddDownloadsAsync(taken, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException)
        {
            // Put the counts back for the next attempt rather than lose them.
            foreach (var (id, count) in taken)
            {
                _pending.AddOrUpdate(id, count, (_, pending) => pending + count);
            }

            LogFlushFailed(logger, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write download counts; they are kept for the next attempt: {Reason}")]
    static partial void LogFlushFailed(ILogger logger, string reason);
}
