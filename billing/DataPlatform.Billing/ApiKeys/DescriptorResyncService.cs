using DataPlatform.Billing.Accounts;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.ApiKeys;

/// <summary>
/// At start-up, creates the first admin and the demo account, then rewrites every key descriptor in Redis from the
/// database and removes descriptors of keys billing does not know, repairing any drift (a flushed Redis, a write
/// lost in an outage). It then rewrites them periodically, so that cancellations taking effect at the end of a
/// period and key expiries reach the gateway without anyone touching the account.
/// </summary>
sealed partial class DescriptorResyncService(
    BillingBootstrap bootstrap, DescriptorPublisher publisher, IOptions<ApiKeyOptions> options, TimeProvider time,
    ILogger<DescriptorResyncService> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await bootstrap.RunAsync(cancellationToken);
        await publisher.ResyncAllAsync(removeUnknown: true, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ResyncInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await publisher.ResyncAllAsync(removeUnknown: false, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogResyncFailed(logger, exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The periodic descriptor resync failed; it runs again at the next interval")]
    static partial void LogResyncFailed(ILogger logger, Exception exception);
}
