using System.Globalization;
using System.Net;
using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.Billing.Usage;
using DataPlatform.Contracts.Redis;
using Microsoft.Extensions.Options;
using Stripe;
using Account = DataPlatform.Billing.Accounts.Account;
using StripeBilling = Stripe.Billing;

namespace DataPlatform.Billing.Stripe;

/// <summary>What one sync did.</summary>
sealed record StripeSyncResult(int Customers, int EventsSent, int EventsAlreadyDelivered, int Retries)
{
    /// <summary>What the products, prices and subscriptions part of the sync changed, when it ran.</summary>
    public StripeCatalogResult? Catalog { get; init; }
}

/// <summary>A metric as Stripe meters it.</summary>
sealed record StripeMetric(string Name, string EventName, string DisplayName);

/// <summary>
/// Sends usage to Stripe: a customer per paying account, a Billing Meter per metric, and one meter event per account,
/// metric and closed hour. The event's identifier is <c>account:metric:yyyyMMddHH</c>, derived from the data rather
/// than chosen at random, so a retry — ours after a 429 or 5xx, or a whole sync run again after a crash — can never be
/// counted twice: Stripe refuses a second event with the same identifier with a 400, which means "delivered".
/// </summary>
sealed partial class StripeSync(
    IStripeClient client, BillingDb db, AccountStore accounts, SubscriptionStore subscriptions, PlanStore plans, UsageLedger ledger,
    IOptions<StripeOptions> options, TimeProvider time, ILogger<StripeSync> logger)
{
    public IReadOnlyList<StripeMetric> Metrics =>
    [
        new("requests", options.Value.RequestsEventName, "DataPlatform API requests"),
        new("bytes", options.Value.BytesEventName, "DataPlatform bytes downloaded"),
    ];

    public async Task<StripeSyncResult> SyncAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await EnsureMetersAsync(cancellationToken);
        var customers = 0;
        int sent = 0, delivered = 0, retries = 0;
        var settled = time.GetUtcNow() - options.Value.SettleDelay;
        foreach (var account in await accounts.ListAsync(null, cancellationToken))
        {
            if (account.Status == AccountStatuses.Closed || !await IsPayingAsync(account, cancellationToken))
            {
                continue;
            }

            if (account.StripeCustomerId is null)
            {
                account.StripeCustomerId = await CreateCustomerAsync(account, cancellationToken);
                customers++;
            }

            foreach (var (metric, hour, value) in await BillableHoursAsync(account.Id, from, to, settled, cancellationToken))
            {
                var already = await SentAsync(account.Id, metric.Name, hour, cancellationToken);
                if (value <= already)
                {
                    continue;
                }

                // The first event of an hour carries the plain identifier; growth noticed later (a counter that arrived
                // after the hour was sent) goes in an event named after the new total, which is just as deterministic.
                var identifier = $"{account.Id}:{metric.Name}:{RedisKeys.UsageHour(hour)}" + (already == 0 ? "" : $":{value}");
                var outcome = await SendEventAsync(metric, account.StripeCustomerId, identifier, hour, value - already, cancellationToken);
                retries += outcome.Retries;
                if (outcome.Duplicate)
                {
                    delivered++;
                }
                else
                {
                    sent++;
                }

                await db.ExecuteAsync("""
                    INSERT INTO stripe_meter_events (identifier, account_id, metric, hour, value, sent_at)
                    VALUES (@identifier, @accountId, @metric, @hour, @value, @now)
                    ON CONFLICT (identifier) DO NOTHING
                    """, new
                {
                    identifier,
                    accountId = account.Id,
                    metric = metric.Name,
                    hour = UnixTime.Of(hour),
                    value = value - already,
                    now = UnixTime.Of(time.GetUtcNow()),
                }, cancellationToken);
            }
        }

        LogSynced(logger, sent, delivered, retries);
        return new StripeSyncResult(customers, sent, delivered, retries);
    }

    /// <summary>Paying accounts are those on a plan with a fee or holding a data product.</summary>
    internal async Task<bool> IsPayingAsync(Account account, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var plan = await plans.GetPlanOrDefaultAsync(await subscriptions.PlanAtAsync(account.Id, now, cancellationToken), cancellationToken);
        return plan.MonthlyFee > 0 || (await subscriptions.ProductsAtAsync(account.Id, now, cancellationToken)).Count > 0;
    }

    /// <summary>The account's Stripe customer, created (under the idempotency key <c>customer:{account}</c>) when it has none.</summary>
    internal async Task<string> EnsureCustomerAsync(Account account, CancellationToken cancellationToken)
    {
        if (account.StripeCustomerId is { } existing)
        {
            return existing;
        }

        account.StripeCustomerId = await CreateCustomerAsync(account, cancellationToken);
        return account.StripeCustomerId;
    }

    async Task<string> CreateCustomerAsync(Account account, CancellationToken cancellationToken)
    {
        var owner = await accounts.OwnerAsync(account.Id, cancellationToken);
        var customer = await new CustomerService(client).CreateAsync(new CustomerCreateOptions
        {
            Name = account.Kind == AccountKinds.Partner ? account.OrganisationName ?? account.Name : account.Name,
            Email = account.BillingContactEmail ?? owner?.Email,
            PreferredLocales = ["vi", "en"],
            Metadata = new Dictionary<string, string> { ["account_id"] = account.Id, ["tax_code"] = account.TaxCode ?? "" },
        }, new RequestOptions { IdempotencyKey = "customer:" + account.Id }, cancellationToken);
        await accounts.SetStripeCustomerAsync(account.Id, customer.Id, cancellationToken);
        LogCustomerCreated(logger, account.Id);
        return customer.Id;
    }

    public async Task<IReadOnlyDictionary<string, string>> EnsureMetersAsync(CancellationToken cancellationToken)
    {
        var service = new StripeBilling.MeterService(client);
        var existing = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var meter in service.ListAutoPagingAsync(new StripeBilling.MeterListOptions { Status = "active" }, cancellationToken: cancellationToken))
        {
            existing.TryAdd(meter.EventName, meter.Id);
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var metric in Metrics)
        {
            if (!existing.TryGetValue(metric.EventName, out var id))
            {
                var meter = await service.CreateAsync(new StripeBilling.MeterCreateOptions
                {
                    DisplayName = metric.DisplayName,
                    EventName = metric.EventName,
                    DefaultAggregation = new StripeBilling.MeterDefaultAggregationOptions { Formula = "sum" },
                    CustomerMapping = new StripeBilling.MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
                    ValueSettings = new StripeBilling.MeterValueSettingsOptions { EventPayloadKey = "value" },
                }, new RequestOptions { IdempotencyKey = "meter:" + metric.EventName }, cancellationToken);
                id = meter.Id;
            }

            result[metric.Name] = id;
        }

        return result;
    }

    async Task<IReadOnlyList<(StripeMetric Metric, DateTimeOffset Hour, long Value)>> BillableHoursAsync(
        string accountId, DateTimeOffset from, DateTimeOffset to, DateTimeOffset settled, CancellationToken cancellationToken)
    {
        var rows = await ledger.RowsAsync(accountId, from, to, cancellationToken);
        var result = new List<(StripeMetric, DateTimeOffset, long)>();
        foreach (var hour in rows.Select(r => r.Hour).Distinct().Order())
        {
            if (hour.AddHours(1) > settled)
            {
                continue;
            }

            var plan = await plans.GetPlanOrDefaultAsync(await subscriptions.PlanAtAsync(accountId, hour, cancellationToken), cancellationToken);
            var billable = rows.Where(r => r.Hour == hour && plan.BillableStatusClasses.Contains(r.StatusClass)).ToList();
            foreach (var metric in Metrics)
            {
                var value = billable.Where(r => r.Measure == metric.Name).Sum(r => r.Value);
                if (value > 0)
                {
                    result.Add((metric, hour, value));
                }
            }
        }

        return result;
    }

    async Task<long> SentAsync(string accountId, string metric, DateTimeOffset hour, CancellationToken cancellationToken) =>
        await db.SingleAsync<long?>("""
            SELECT CAST(SUM(value) AS BIGINT) FROM stripe_meter_events WHERE account_id = @accountId AND metric = @metric AND hour = @hour
            """, new { accountId, metric, hour = UnixTime.Of(hour) }, cancellationToken) ?? 0;

    /// <summary>
    /// Sends one meter event, trying again after a 429 or a 5xx with the same identifier. The SDK's own retries are
    /// off (see <see cref="StripeServiceCollectionExtensions"/>) so that this one policy, with its logging, decides.
    /// </summary>
    async Task<(bool Duplicate, int Retries)> SendEventAsync(
        StripeMetric metric, string customerId, string identifier, DateTimeOffset hour, long value, CancellationToken cancellationToken)
    {
        var service = new StripeBilling.MeterEventService(client);
        var delay = options.Value.RetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await service.CreateAsync(new StripeBilling.MeterEventCreateOptions
                {
                    EventName = metric.EventName,
                    Identifier = identifier,
                    Timestamp = hour.UtcDateTime,
                    Payload = new Dictionary<string, string>
                    {
                        ["stripe_customer_id"] = customerId,
                        ["value"] = value.ToString(CultureInfo.InvariantCulture),
                    },
                }, cancellationToken: cancellationToken);
                return (false, attempt);
            }
            catch (StripeException exception) when (IsDuplicate(exception))
            {
                LogAlreadyDelivered(logger, identifier);
                return (true, attempt);
            }
            catch (StripeException exception) when (IsTransient(exception) && attempt < options.Value.MaxRetries)
            {
                LogRetrying(logger, identifier, (int)exception.HttpStatusCode, attempt + 1);
                await Task.Delay(delay, time, cancellationToken);
                delay *= 2;
            }
        }
    }

    static bool IsDuplicate(StripeException exception) =>
        exception.HttpStatusCode == HttpStatusCode.BadRequest
        && (exception.StripeError?.Message ?? exception.Message).Contains("identifier", StringComparison.OrdinalIgnoreCase);

    static bool IsTransient(StripeException exception) =>
        exception.HttpStatusCode == HttpStatusCode.TooManyRequests || (int)exception.HttpStatusCode >= 500;

    /// <summary>Stripe's meter event summaries of one customer and metric, summed over [from, to).</summary>
    public async Task<decimal> StripeTotalAsync(string meterId, string customerId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var total = 0m;
        await foreach (var summary in new StripeBilling.MeterEventSummaryService(client).ListAutoPagingAsync(meterId,
                           new StripeBilling.MeterEventSummaryListOptions { Customer = customerId, StartTime = from.UtcDateTime, EndTime = to.UtcDateTime },
                           cancellationToken: cancellationToken))
        {
            total += (decimal)summary.AggregatedValue;
        }

        return total;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe sync: {Sent} meter events sent, {Delivered} were delivered already, {Retries} retries")]
    static partial void LogSynced(ILogger logger, int sent, int delivered, int retries);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the Stripe customer of account {AccountId}")]
    static partial void LogCustomerCreated(ILogger logger, string accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe already has meter event {Identifier}; counted as delivered")]
    static partial void LogAlreadyDelivered(ILogger logger, string identifier);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe answered {Status} to meter event {Identifier}; retry {Attempt} with the same identifier")]
    static partial void LogRetrying(ILogger logger, string identifier, int status, int attempt);
}
