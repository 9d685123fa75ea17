using DataPlatform.Catalog.Datasets;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// Builds the whole-version files of a newly published version in the background, in the formats of
/// <see cref="DownloadOptions.PrebuildFormats"/>, so that the first download after a publish is a file send rather
/// than an export. It starts after the publish has committed and does not hold up its answer. A download that
/// arrives while the build runs joins it (<see cref="MaterialisedFiles"/> builds each file once), and a build that
/// fails only logs: the first download builds the file then.
/// </summary>
sealed partial class DownloadPrebuilder(
    DatasetStore store, WholeVersionFiles files, IOptions<DownloadOptions> options, IHostApplicationLifetime lifetime, ILogger<DownloadPrebuilder> logger)
{
    readonly IReadOnlyList<DownloadFormat> _formats = DownloadFormats.TryParseList(options.Value.PrebuildFormats) ?? [];

    /// <summary>Starts building the files of <paramref name="datasetId"/>'s current version, and returns at once.</summary>
    public void Schedule(string datasetId)
    {
        if (_formats.Count > 0)
        {
            _ = Task.Run(() => BuildAsync(datasetId, lifetime.ApplicationStopping));
        }
    }

    async Task BuildAsync(string datasetId, CancellationToken cancellationToken)
    {
        try
        {
            if (await store.FindAsync(datasetId, cancellationToken) is not { } dataset || DownloadsApi.CurrentVersion(dataset) is not { } version)
            {
                return;
            }

            // The file most of its downloads get: the public one, or for restricted data the one its entitled users see.
            var view = version.VisibleTo([]) ?? version.VisibleTo([version.Entitlement])!;
            var plan = ExportRequests.Parse(view, []).Plan;
            foreach (var format in _formats)
            {
                await files.GetAsync(version, view, plan, format, bom: true, escapeFormulas: true, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The service is stopping; the build left nothing behind, and the first download will build the file.
        }
        catch (Exception e)
        {
            LogFailed(logger, datasetId, e.GetType().Name, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Building the downloads of {DatasetId} ahead failed ({Error}: {Reason}); the first download builds them")]
    static partial void LogFailed(ILogger logger, string datasetId, string error, string reason);
}
