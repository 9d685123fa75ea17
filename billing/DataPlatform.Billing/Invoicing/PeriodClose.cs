using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.Billing.Usage;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Invoicing;

/// <summary>Invoices every account for a period: first the period's counters are harvested once more, so the ledger is complete.</summary>
sealed class PeriodClose(AccountStore accounts, InvoiceStore invoices, UsageLedger ledger, TimeProvider time)
{
    public async Task<IReadOnlyList<InvoiceView>> InvoiceAllAsync(BillingPeriod period, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await ledger.HarvestAsync(period.Start, now < period.End ? now : period.End.AddHours(-1), cancellationToken);
        var result = new List<InvoiceView>();
        foreach (var account in await accounts.ListAsync(null, cancellationToken))
        {
            if (UnixTime.At(account.CreatedAt) < period.End)
            {
                result.Add(await invoices.GenerateAsync(account.Id, period, cancellationToken));
            }
        }

        return result;
    }
}

/// <summary>Once a period has ended in Hà Nội, issues the invoices of every account for it; repeats are harmless.</summary>
sealed partial class PeriodCloseService(PeriodClose close, IOptions<InvoicingOptions> options, TimeProvider time, ILogger<PeriodCloseService> logger)
    : BackgroundService
{
    BillingPeriod? _closed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CloseInterval, time);
        do
        {
            var previous = BillingPeriod.Containing(time.GetUtcNow()).Previous;
            if (_closed == previous)
            {
                continue;
            }

            try
            {
                var issued = await close.InvoiceAllAsync(previous, stoppingToken);
                _closed = previous;
                LogClosed(logger, previous.ToString(), issued.Count);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogCloseFailed(logger, previous.ToString(), exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Period {Period} is invoiced: {Count} invoices")]
    static partial void LogClosed(ILogger logger, string period, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Invoicing period {Period} failed; it is retried at the next interval")]
    static partial void LogCloseFailed(ILogger logger, string period, Exception exception);
}
