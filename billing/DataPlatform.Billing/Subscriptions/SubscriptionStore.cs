using Dapper;
using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Storage;

namespace DataPlatform.Billing.Subscriptions;

/// <summary>The kinds of thing an account subscribes to.</summary>
static class SubscriptionKinds
{
    public const string Plan = "plan";
    public const string Product = "product";
}

/// <summary>
/// One stretch of time during which an account held a plan or a data product. A change of plan ends one stretch
/// and starts the next at the same second, so an invoice prorates each fee by the share of the month it covers;
/// a cancellation sets the end to the end of the current period.
/// </summary>
sealed class Subscription
{
    public string Id { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string Kind { get; set; } = "";
    public string ItemId { get; set; } = "";
    public long StartedAt { get; set; }
    public long? EndsAt { get; set; }
    public long CreatedAt { get; set; }

    public bool ActiveAt(long moment) => StartedAt <= moment && (EndsAt is null || moment < EndsAt);
}

sealed record SubscriptionView(string Id, string Kind, string ItemId, DateTimeOffset StartedAt, DateTimeOffset? EndsAt)
{
    public static SubscriptionView From(Subscription s) => new(s.Id, s.Kind, s.ItemId, UnixTime.At(s.StartedAt), UnixTime.At(s.EndsAt));
}

sealed class SubscriptionStore(BillingDb db, TimeProvider time)
{
    /// <summary>
    /// The order of an account's subscriptions: by start, and among those started in the same second (an account
    /// that changed plan in the second it opened) the ended one first, so that "the first plan" and "the plan in force
    /// last" mean the same on every engine and for any ids.
    /// </summary>
    const string Chronological = "ORDER BY started_at, CASE WHEN ends_at IS NULL THEN 1 ELSE 0 END, ends_at, id";

    public Task<IReadOnlyList<Subscription>> ListAsync(string accountId, CancellationToken cancellationToken) => db.QueryAsync<Subscription>(
        "SELECT * FROM subscriptions WHERE account_id = @accountId " + Chronological, new { accountId }, cancellationToken);

    /// <summary>Every subscription that overlaps [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public Task<IReadOnlyList<Subscription>> OverlappingAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        db.QueryAsync<Subscription>("""
            SELECT * FROM subscriptions WHERE account_id = @accountId AND started_at < @to AND (ends_at IS NULL OR ends_at > @from)
            """ + Chronological, new { accountId, from = UnixTime.Of(from), to = UnixTime.Of(to) }, cancellationToken);

    public async Task<string?> PlanAtAsync(string accountId, DateTimeOffset moment, CancellationToken cancellationToken)
    {
        var at = UnixTime.Of(moment);
        return (await ListAsync(accountId, cancellationToken)).LastOrDefault(s => s.Kind == SubscriptionKinds.Plan && s.ActiveAt(at))?.ItemId;
    }

    public async Task<IReadOnlyList<string>> ProductsAtAsync(string accountId, DateTimeOffset moment, CancellationToken cancellationToken)
    {
        var at = UnixTime.Of(moment);
        return (await ListAsync(accountId, cancellationToken))
            .Where(s => s.Kind == SubscriptionKinds.Product && s.ActiveAt(at)).Select(s => s.ItemId).Distinct().Order().ToList();
    }

    /// <summary>
    /// Moves the account to <paramref name="planId"/> now: the current plan's stretch ends and the new one starts,
    /// so both are prorated on the invoice. A cancellation pending at the end of the period is dropped.
    /// </summary>
    public Task ChangePlanAsync(string accountId, string planId, CancellationToken cancellationToken)
    {
        var now = UnixTime.Of(time.GetUtcNow());
        return db.InTransactionAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync("""
                UPDATE subscriptions SET ends_at = @now
                WHERE account_id = @accountId AND kind = 'plan' AND started_at <= @now AND (ends_at IS NULL OR ends_at > @now)
                """, new { accountId, now }, transaction);
            await connection.ExecuteAsync("""
                INSERT INTO subscriptions (id, account_id, kind, item_id, started_at, ends_at, created_at)
                VALUES (@id, @accountId, 'plan', @planId, @now, NULL, @now)
                """, new { id = AccountStore.NewId("sub_"), accountId, planId, now }, transaction);
            return true;
        }, cancellationToken);
    }

    /// <summary>Ends the plan and every product at the end of the current period; the account then falls back to the free plan.</summary>
    public async Task<DateTimeOffset> CancelAtPeriodEndAsync(string accountId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var end = BillingPeriod.Containing(now).End;
        await db.ExecuteAsync("""
            UPDATE subscriptions SET ends_at = @end
            WHERE account_id = @accountId AND started_at <= @now AND (ends_at IS NULL OR ends_at > @end)
            """, new { accountId, now = UnixTime.Of(now), end = UnixTime.Of(end) }, cancellationToken);
        return end;
    }

    public async Task<bool> SubscribeProductAsync(string accountId, string productId, CancellationToken cancellationToken)
    {
        var now = UnixTime.Of(time.GetUtcNow());
        if ((await ProductsAtAsync(accountId, time.GetUtcNow(), cancellationToken)).Contains(productId))
        {
            // Re-subscribing before a pending cancellation takes effect keeps the product going.
            await db.ExecuteAsync("""
                UPDATE subscriptions SET ends_at = NULL
                WHERE account_id = @accountId AND kind = 'product' AND item_id = @productId AND started_at <= @now AND ends_at > @now
                """, new { accountId, productId, now }, cancellationToken);
            return false;
        }

        await db.ExecuteAsync("""
            INSERT INTO subscriptions (id, account_id, kind, item_id, started_at, ends_at, created_at)
            VALUES (@id, @accountId, 'product', @productId, @now, NULL, @now)
            """, new { id = AccountStore.NewId("sub_"), accountId, productId, now }, cancellationToken);
        return true;
    }

    /// <summary>Ends a product subscription at the end of the current period.</summary>
    public async Task<DateTimeOffset?> UnsubscribeProductAsync(string accountId, string productId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var end = BillingPeriod.Containing(now).End;
        var changed = await db.ExecuteAsync("""
            UPDATE subscriptions SET ends_at = @end
            WHERE account_id = @accountId AND kind = 'product' AND item_id = @productId AND started_at <= @now
              AND (ends_at IS NULL OR ends_at > @end)
            """, new { accountId, productId, now = UnixTime.Of(now), end = UnixTime.Of(end) }, cancellationToken);
        return changed > 0 ? end : null;
    }
}
