using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Usage;

/// <summary>
/// Reads the gateway's usage counters into the ledger every <see cref="UsageOptions.HarvestInterval"/>, going back
/// <see cref="UsageOptions.LookbackHours"/> hours so that counters still growing when an hour closes are caught.
/// Any number of billing instances may run it at once: the ledger's max-upsert makes harvests idempotent.
/// </summary>
sealed partial class UsageHarvester(UsageLedger ledger, IOptions<UsageOptions> options, TimeProvider time, ILogger<UsageHarvester> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HarvestInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var now = time.GetUtcNow();
                var result = await ledger.HarvestAsync(now.AddHours(-options.Value.LookbackHours), now, stoppingToken);
                LogHarvested(logger, result.Counters, result.RowsChanged);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogHarvestFailed(logger, exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Harvested {Counters} usage counters; {Changed} ledger rows grew")]
    static partial void LogHarvested(ILogger logger, int counters, int changed);

    [LoggerMessage(Level = LogLevel.Error, Message = "A usage harvest failed; the next one reads the same counters again")]
    static partial void LogHarvestFailed(ILogger logger, Exception exception);
}
