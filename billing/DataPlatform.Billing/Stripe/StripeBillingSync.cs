using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Subscriptions;
using Stripe;
using Account = DataPlatform.Billing.Accounts.Account;
using Plan = DataPlatform.Billing.Plans.Plan;
using StripeSubscription = Stripe.Subscription;

namespace DataPlatform.Billing.Stripe;

/// <summary>The Stripe Prices of one plan: the monthly fee, and the metered requests and bytes beyond the included usage.</summary>
sealed record StripePlanPrices(string? Fee, string? Requests, string? Bytes)
{
    public IEnumerable<string> All => new[] { Fee, Requests, Bytes }.OfType<string>();
}

/// <summary>What a catalog and subscription sync changed in Stripe.</summary>
sealed record StripeCatalogResult(int ProductsCreated, int PricesCreated, int SubscriptionsCreated, int SubscriptionsUpdated, int SubscriptionsCancelled);

/// <summary>
/// Keeps Stripe's Products, Prices and Subscriptions in step with the plans, data products and subscriptions billing
/// holds, so that Stripe itself invoices the fee, the metered usage and the products.
/// <list type="bullet">
/// <item>Each plan and data product is a Product with a fixed id (<c>dp_plan_{id}</c>, <c>dp_product_{id}</c>).</item>
/// <item>Prices are in <c>vnd</c>, a zero-decimal currency, so amounts are whole đồng. A plan has a licensed monthly fee
/// price and graduated metered prices on the requests and bytes meters whose first tier (the included usage) is free;
/// per-request and per-byte prices are the plan's price per 1,000 requests and per GB divided out, as decimals.</item>
/// <item>Stripe Prices cannot change, so a changed price is a new Price: each is kept under the fingerprint of its
/// terms, and its idempotency key names that fingerprint, so a retried create (an answer lost on the way back) returns
/// the Price made the first time instead of a second one.</item>
/// <item>Each paying account has one Subscription, anchored to the start of the next billing period (1st of the month,
/// Asia/Ho_Chi_Minh) with prorations, whose items follow the plan and products; a cancellation sets
/// <c>cancel_at_period_end</c>, and an account that stops paying has its Subscription cancelled.</item>
/// </list>
/// </summary>
sealed partial class StripeBillingSync(
    IStripeClient client, StripeSync usage, BillingDb db, AccountStore accounts, SubscriptionStore subscriptions, PlanStore plans,
    TimeProvider time, ILogger<StripeBillingSync> logger)
{
    public const string Currency = "vnd";

    /// <summary>Creates what is missing in Stripe for every plan and data product; returns each plan's and product's prices.</summary>
    public async Task<(IReadOnlyDictionary<string, StripePlanPrices> Plans, IReadOnlyDictionary<string, string> Products, int ProductsCreated, int PricesCreated)>
        SyncCatalogAsync(CancellationToken cancellationToken)
    {
        var meters = await usage.EnsureMetersAsync(cancellationToken);
        var counts = new Counts();
        var planPrices = new Dictionary<string, StripePlanPrices>(StringComparer.Ordinal);
        foreach (var plan in await plans.ListPlansAsync(cancellationToken))
        {
            planPrices[plan.Id] = await PlanPricesAsync(plan, meters, counts, cancellationToken);
        }

        var productPrices = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var product in await plans.ListProductsAsync(cancellationToken))
        {
            var stripeProduct = await EnsureProductAsync("product", product.Id, product.Name, product.Description, counts, cancellationToken);
            productPrices[product.Id] = await EnsurePriceAsync($"product:{product.Id}:fee", new PriceCreateOptions
            {
                Product = stripeProduct,
                Currency = Currency,
                UnitAmount = product.MonthlyFee,
                Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "licensed" },
                Nickname = product.Name,
            }, counts, cancellationToken);
        }

        return (planPrices, productPrices, counts.Products, counts.Prices);
    }

    async Task<StripePlanPrices> PlanPricesAsync(Plan plan, IReadOnlyDictionary<string, string> meters, Counts counts, CancellationToken cancellationToken)
    {
        var product = await EnsureProductAsync("plan", plan.Id, plan.Name, $"DataPlatform plan '{plan.Id}'", counts, cancellationToken);
        string? fee = null, requests = null, bytes = null;
        if (plan.MonthlyFee > 0)
        {
            fee = await EnsurePriceAsync($"plan:{plan.Id}:fee", new PriceCreateOptions
            {
                Product = product,
                Currency = Currency,
                UnitAmount = plan.MonthlyFee,
                Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "licensed" },
                Nickname = $"{plan.Name}: phí tháng / monthly fee",
            }, counts, cancellationToken);
        }

        if (plan.Tiers.Any(t => t.PricePer1000 > 0))
        {
            var tiers = new List<PriceTierOptions>();
            if (plan.IncludedRequests > 0)
            {
                tiers.Add(new PriceTierOptions { UpTo = plan.IncludedRequests, UnitAmount = 0 });
            }

            tiers.AddRange(plan.Tiers.Select(t => new PriceTierOptions
            {
                UpTo = t.UpTo is { } upTo ? upTo : PriceTierUpTo.Inf,
                UnitAmountDecimal = t.PricePer1000 / 1000m,
            }));
            requests = await EnsurePriceAsync($"plan:{plan.Id}:requests", Metered(product, meters["requests"], tiers, $"{plan.Name}: yêu cầu / requests"), counts, cancellationToken);
        }

        if (plan.PricePerGb > 0)
        {
            var tiers = new List<PriceTierOptions>();
            if (plan.IncludedBytes > 0)
            {
                tiers.Add(new PriceTierOptions { UpTo = plan.IncludedBytes, UnitAmount = 0 });
            }

            tiers.Add(new PriceTierOptions { UpTo = PriceTierUpTo.Inf, UnitAmountDecimal = plan.PricePerGb / (decimal)Invoicing.InvoiceCalculator.BytesPerGb });
            bytes = await EnsurePriceAsync($"plan:{plan.Id}:bytes", Metered(product, meters["bytes"], tiers, $"{plan.Name}: dữ liệu / bytes"), counts, cancellationToken);
        }

        return new StripePlanPrices(fee, requests, bytes);
    }

    static PriceCreateOptions Metered(string product, string meter, List<PriceTierOptions> tiers, string nickname) => new()
    {
        Product = product,
        Currency = Currency,
        BillingScheme = "tiered",
        TiersMode = "graduated",
        Tiers = tiers,
        Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "metered", Meter = meter },
        Nickname = nickname,
    };

    async Task<string> EnsureProductAsync(string kind, string id, string name, string description, Counts counts, CancellationToken cancellationToken)
    {
        var localKey = $"product:{kind}:{id}";
        if (await StoredAsync(localKey, cancellationToken) is { } stored)
        {
            return stored;
        }

        // A fixed id as well as an idempotency key: even after the key has expired at Stripe (24 hours), a second
        // create of the same product is refused rather than duplicated.
        var product = await new ProductService(client).CreateAsync(new ProductCreateOptions
        {
            Id = $"dp_{kind}_{id}",
            Name = name,
            Description = string.IsNullOrWhiteSpace(description) ? null : description,
            Metadata = new Dictionary<string, string> { ["kind"] = kind, ["id"] = id },
        }, new RequestOptions { IdempotencyKey = localKey }, cancellationToken);
        await StoreAsync(localKey, product.Id, cancellationToken);
        counts.Products++;
        return product.Id;
    }

    async Task<string> EnsurePriceAsync(string component, PriceCreateOptions options, Counts counts, CancellationToken cancellationToken)
    {
        var localKey = $"price:{component}:{Fingerprint(options)}";
        if (await StoredAsync(localKey, cancellationToken) is { } stored)
        {
            return stored;
        }

        options.Metadata = new Dictionary<string, string> { ["component"] = component };
        var price = await new PriceService(client).CreateAsync(options, new RequestOptions { IdempotencyKey = localKey }, cancellationToken);
        await StoreAsync(localKey, price.Id, cancellationToken);
        counts.Prices++;
        LogPriceCreated(logger, component, price.Id);
        return price.Id;
    }

    /// <summary>A short hash of everything that makes a price what it is: product, currency, amounts, tiers and recurrence.</summary>
    static string Fingerprint(PriceCreateOptions options)
    {
        var terms = JsonSerializer.Serialize(new
        {
            options.Product,
            options.Currency,
            options.UnitAmount,
            options.BillingScheme,
            options.TiersMode,
            Tiers = options.Tiers?.Select(t => new { UpTo = t.UpTo?.ToString(), t.UnitAmount, t.UnitAmountDecimal }),
            options.Recurring?.Interval,
            options.Recurring?.UsageType,
            options.Recurring?.Meter,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(terms)))[..16];
    }

    /// <summary>Brings every account's Stripe Subscription in line; returns what changed.</summary>
    public async Task<StripeCatalogResult> SyncAllAsync(CancellationToken cancellationToken)
    {
        var catalog = await SyncCatalogAsync(cancellationToken);
        int created = 0, updated = 0, cancelled = 0;
        foreach (var account in await accounts.ListAsync(null, cancellationToken))
        {
            switch (await SyncSubscriptionAsync(account, catalog.Plans, catalog.Products, cancellationToken))
            {
                case SubscriptionChange.Created: created++; break;
                case SubscriptionChange.Updated: updated++; break;
                case SubscriptionChange.Cancelled: cancelled++; break;
            }
        }

        return new StripeCatalogResult(catalog.ProductsCreated, catalog.PricesCreated, created, updated, cancelled);
    }

    /// <summary>Brings one account's Stripe Subscription in line with its plan and products now.</summary>
    public async Task<SubscriptionChange> SyncAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(accountId, cancellationToken);
        if (account is null)
        {
            return SubscriptionChange.None;
        }

        var catalog = await SyncCatalogAsync(cancellationToken);
        return await SyncSubscriptionAsync(account, catalog.Plans, catalog.Products, cancellationToken);
    }

    internal enum SubscriptionChange { None, Created, Updated, Cancelled }

    async Task<SubscriptionChange> SyncSubscriptionAsync(
        Account account, IReadOnlyDictionary<string, StripePlanPrices> planPrices, IReadOnlyDictionary<string, string> productPrices,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var service = new SubscriptionService(client);
        var history = await subscriptions.ListAsync(account.Id, cancellationToken);
        var paying = account.Status != AccountStatuses.Closed && await usage.IsPayingAsync(account, cancellationToken);
        if (!paying)
        {
            if (account.StripeSubscriptionId is not { } ending)
            {
                return SubscriptionChange.None;
            }

            await service.CancelAsync(ending, new SubscriptionCancelOptions { Prorate = true },
                new RequestOptions { IdempotencyKey = $"subscription-cancel:{ending}" }, cancellationToken);
            await SetSubscriptionAsync(account.Id, null, cancellationToken);
            LogSubscriptionChanged(logger, account.Id, "cancelled");
            return SubscriptionChange.Cancelled;
        }

        var planId = await subscriptions.PlanAtAsync(account.Id, now, cancellationToken) ?? PlanStore.DefaultPlanId;
        var desired = (planPrices.GetValueOrDefault(planId)?.All ?? [])
            .Concat((await subscriptions.ProductsAtAsync(account.Id, now, cancellationToken)).Select(p => productPrices.GetValueOrDefault(p)).OfType<string>())
            .Distinct().ToList();
        var at = UnixTime.Of(now);
        var cancelAtPeriodEnd = history.Where(s => s.ActiveAt(at)).All(s => s.EndsAt is not null);
        var revision = Revision(history);

        if (account.StripeSubscriptionId is { } existingId)
        {
            var existing = await service.GetAsync(existingId, cancellationToken: cancellationToken);
            if (existing.Status is not ("canceled" or "incomplete_expired"))
            {
                return await UpdateAsync(account, existing, desired, cancelAtPeriodEnd, revision, cancellationToken);
            }
        }

        var customer = await usage.EnsureCustomerAsync(account, cancellationToken);
        var subscription = await service.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer,
            Items = desired.Select(price => new SubscriptionItemOptions { Price = price }).ToList(),
            // Stripe's cycles then follow the platform's calendar months in Hà Nội; the days until then are prorated.
            BillingCycleAnchor = BillingPeriod.Containing(now).End.UtcDateTime,
            ProrationBehavior = "create_prorations",
            CancelAtPeriodEnd = cancelAtPeriodEnd,
            Metadata = new Dictionary<string, string> { ["account_id"] = account.Id },
        }, new RequestOptions { IdempotencyKey = $"subscription:{account.Id}:{revision}" }, cancellationToken);
        await SetSubscriptionAsync(account.Id, subscription.Id, cancellationToken);
        LogSubscriptionChanged(logger, account.Id, "created");
        return SubscriptionChange.Created;
    }

    async Task<SubscriptionChange> UpdateAsync(
        Account account, StripeSubscription existing, IReadOnlyList<string> desired, bool cancelAtPeriodEnd, string revision, CancellationToken cancellationToken)
    {
        var items = existing.Items?.Data ?? [];
        var removed = items.Where(i => !desired.Contains(i.Price.Id)).ToList();
        var added = desired.Where(p => items.All(i => i.Price.Id != p)).ToList();
        if (removed.Count == 0 && added.Count == 0 && existing.CancelAtPeriodEnd == cancelAtPeriodEnd)
        {
            return SubscriptionChange.None;
        }

        await new SubscriptionService(client).UpdateAsync(existing.Id, new SubscriptionUpdateOptions
        {
            Items = removed.Select(i => new SubscriptionItemOptions { Id = i.Id, Deleted = true })
                .Concat(added.Select(p => new SubscriptionItemOptions { Price = p })).ToList(),
            ProrationBehavior = "create_prorations",
            CancelAtPeriodEnd = cancelAtPeriodEnd,
        }, new RequestOptions { IdempotencyKey = $"subscription-update:{existing.Id}:{revision}" }, cancellationToken);
        LogSubscriptionChanged(logger, account.Id, "updated");
        return SubscriptionChange.Updated;
    }

    /// <summary>A hash of the account's local subscription history: it changes with every plan, product or cancellation change.</summary>
    static string Revision(IEnumerable<Subscriptions.Subscription> history) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(';',
            history.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Id}:{s.EndsAt}"))))))[..16];

    Task SetSubscriptionAsync(string accountId, string? subscriptionId, CancellationToken cancellationToken) =>
        db.ExecuteAsync("UPDATE accounts SET stripe_subscription_id = @subscriptionId WHERE id = @accountId", new { accountId, subscriptionId }, cancellationToken);

    Task<string?> StoredAsync(string localKey, CancellationToken cancellationToken) =>
        db.SingleAsync<string?>("SELECT stripe_id FROM stripe_objects WHERE local_key = @localKey", new { localKey }, cancellationToken);

    Task StoreAsync(string localKey, string stripeId, CancellationToken cancellationToken) => db.ExecuteAsync("""
        INSERT INTO stripe_objects (local_key, stripe_id, created_at) VALUES (@localKey, @stripeId, @now) ON CONFLICT (local_key) DO NOTHING
        """, new { localKey, stripeId, now = UnixTime.Of(time.GetUtcNow()) }, cancellationToken);

    sealed class Counts
    {
        public int Products;
        public int Prices;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Stripe price {PriceId} for {Component}")]
    static partial void LogPriceCreated(ILogger logger, string component, string priceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe subscription of account {AccountId} {Change}")]
    static partial void LogSubscriptionChanged(ILogger logger, string accountId, string change);
}
