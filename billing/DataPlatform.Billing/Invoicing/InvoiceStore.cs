using Dapper;
using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.Billing.Usage;
using DataPlatform.Contracts.Redis;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Invoicing;

/// <summary>The states of an invoice.</summary>
static class InvoiceStatuses
{
    /// <summary>The period is still running: the invoice is a preview that is recomputed on demand.</summary>
    public const string Draft = "draft";

    /// <summary>Numbered and final; awaiting payment.</summary>
    public const string Issued = "issued";

    public const string Paid = "paid";

    public const string Void = "void";
}

sealed class InvoiceRow
{
    public string Id { get; set; } = "";
    public string? Number { get; set; }
    public string AccountId { get; set; } = "";
    public string Period { get; set; } = "";
    public string Status { get; set; } = "";
    public string Currency { get; set; } = "VND";
    public long Subtotal { get; set; }
    public long VatBasisPoints { get; set; }
    public long Vat { get; set; }
    public long Total { get; set; }
    public long CreatedAt { get; set; }
    public long? IssuedAt { get; set; }
    public long? PaidAt { get; set; }
    public long? VoidedAt { get; set; }
    public string? PaymentReference { get; set; }
    public string? StripeInvoiceId { get; set; }
}

sealed class InvoiceLineRow
{
    public string InvoiceId { get; set; } = "";
    public long Position { get; set; }
    public string Kind { get; set; } = "";
    public string Description { get; set; } = "";
    public long Quantity { get; set; }
    public string Unit { get; set; } = "";
    public long UnitPrice { get; set; }
    public long Amount { get; set; }
}

/// <summary>An invoice as the APIs show it; amounts are whole đồng.</summary>
sealed record InvoiceView(
    string Id, string? Number, string AccountId, string Period, string Status, string Currency, long Subtotal, decimal VatPercent,
    long Vat, long Total, DateTimeOffset CreatedAt, DateTimeOffset? IssuedAt, DateTimeOffset? PaidAt, DateTimeOffset? VoidedAt,
    string? PaymentReference, IReadOnlyList<InvoiceLine> Lines)
{
    public static InvoiceView From(InvoiceRow row, IEnumerable<InvoiceLineRow> lines) => new(
        row.Id, row.Number, row.AccountId, row.Period, row.Status, row.Currency, row.Subtotal, row.VatBasisPoints / 100m, row.Vat, row.Total,
        UnixTime.At(row.CreatedAt), UnixTime.At(row.IssuedAt), UnixTime.At(row.PaidAt), UnixTime.At(row.VoidedAt), row.PaymentReference,
        lines.OrderBy(l => l.Position).Select(l => new InvoiceLine(l.Kind, l.Description, l.Quantity, l.Unit, l.UnitPrice, l.Amount)).ToList());
}

/// <summary>
/// Invoices: computed from the subscriptions and the usage ledger, numbered when issued, then paid or voided.
/// An invoice for a period still running is a draft that each generation recomputes; once the period is over the
/// invoice is issued with the next number and never changes again.
/// </summary>
sealed class InvoiceStore(
    BillingDb db, SubscriptionStore subscriptions, PlanStore plans, UsageLedger ledger, IOptions<InvoicingOptions> options, TimeProvider time)
{
    public async Task<InvoiceView> GenerateAsync(string accountId, BillingPeriod period, CancellationToken cancellationToken)
    {
        var existing = await FindRowAsync(accountId, period, cancellationToken);
        if (existing is not null && existing.Status != InvoiceStatuses.Draft)
        {
            return (await FindAsync(existing.Id, cancellationToken))!;
        }

        var amounts = await ComputeAsync(accountId, period, cancellationToken);
        var now = time.GetUtcNow();
        var final = now >= period.End;
        var id = existing?.Id ?? AccountStore.NewId("inv_");

        try
        {
            await WriteAsync(id, existing, accountId, period, amounts, now, final, cancellationToken);
        }
        catch (System.Data.Common.DbException) when (existing is null)
        {
            // Another instance invoiced the same account and period at the same moment; its invoice stands.
            var raced = await FindRowAsync(accountId, period, cancellationToken) ?? throw new InvalidOperationException(
                $"Writing the invoice of {accountId} for {period} failed, and no other invoice for them exists.");
            return (await FindAsync(raced.Id, cancellationToken))!;
        }

        return (await FindAsync(id, cancellationToken))!;
    }

    Task WriteAsync(
        string id, InvoiceRow? existing, string accountId, BillingPeriod period, InvoiceAmounts amounts, DateTimeOffset now, bool final,
        CancellationToken cancellationToken) =>
        db.InTransactionAsync(async (connection, transaction) =>
        {
            string? number = null;
            if (final)
            {
                var sequence = await connection.ExecuteScalarAsync<long>(
                    "UPDATE counters SET value = value + 1 WHERE name = 'invoice' RETURNING value", transaction: transaction);
                number = $"{options.Value.NumberPrefix}-{period.Year}-{sequence:D6}";
            }

            var row = new
            {
                Id = id,
                Number = number,
                AccountId = accountId,
                Period = period.ToString(),
                Status = final ? InvoiceStatuses.Issued : InvoiceStatuses.Draft,
                amounts.Subtotal,
                VatBasisPoints = (long)amounts.VatBasisPoints,
                amounts.Vat,
                amounts.Total,
                Now = UnixTime.Of(now),
                IssuedAt = final ? UnixTime.Of(now) : (long?)null,
            };
            if (existing is null)
            {
                await connection.ExecuteAsync("""
                    INSERT INTO invoices (id, number, account_id, period, status, currency, subtotal, vat_basis_points, vat, total, created_at, issued_at)
                    VALUES (@Id, @Number, @AccountId, @Period, @Status, 'VND', @Subtotal, @VatBasisPoints, @Vat, @Total, @Now, @IssuedAt)
                    """, row, transaction);
            }
            else
            {
                await connection.ExecuteAsync("""
                    UPDATE invoices SET number = @Number, status = @Status, subtotal = @Subtotal, vat_basis_points = @VatBasisPoints, vat = @Vat,
                        total = @Total, issued_at = @IssuedAt
                    WHERE id = @Id AND status = 'draft'
                    """, row, transaction);
                await connection.ExecuteAsync("DELETE FROM invoice_lines WHERE invoice_id = @id", new { id }, transaction);
            }

            await connection.ExecuteAsync("""
                INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity, unit, unit_price, amount)
                VALUES (@InvoiceId, @Position, @Kind, @Description, @Quantity, @Unit, @UnitPrice, @Amount)
                """, amounts.Lines.Select((l, i) => new InvoiceLineRow
            {
                InvoiceId = id,
                Position = i + 1,
                Kind = l.Kind,
                Description = l.Description,
                Quantity = l.Quantity,
                Unit = l.Unit,
                UnitPrice = l.UnitPrice,
                Amount = l.Amount,
            }), transaction);
            return true;
        }, cancellationToken);

    async Task<InvoiceAmounts> ComputeAsync(string accountId, BillingPeriod period, CancellationToken cancellationToken)
    {
        var held = await subscriptions.OverlappingAsync(accountId, period.Start, period.End, cancellationToken);
        var planStretches = new List<PricedStretch<Plan>>();
        var productStretches = new List<PricedStretch<DataProduct>>();
        foreach (var subscription in held)
        {
            var from = UnixTime.At(subscription.StartedAt);
            var to = UnixTime.At(subscription.EndsAt);
            if (subscription.Kind == SubscriptionKinds.Plan && await plans.FindPlanAsync(subscription.ItemId, cancellationToken) is { } plan)
            {
                planStretches.Add(new(plan, from, to));
            }
            else if (subscription.Kind == SubscriptionKinds.Product && await plans.FindProductAsync(subscription.ItemId, cancellationToken) is { } product)
            {
                productStretches.Add(new(product, from, to));
            }
        }

        // Usage is rated under the plan in force when it was made (at the start of each ledger hour, as the Stripe meter
        // events are), and each plan's included usage is prorated by the share of the period it covered.
        var defaultPlan = await plans.GetPlanOrDefaultAsync(null, cancellationToken);
        var rows = await ledger.RowsAsync(accountId, period.Start, period.End, cancellationToken);
        var usagePlan = planStretches.LastOrDefault()?.Item ?? defaultPlan;
        var productUsage = rows.Where(r => r.ProductId != UsageField.NoProduct && usagePlan.BillableStatusClasses.Contains(r.StatusClass))
            .GroupBy(r => r.ProductId)
            .ToDictionary(g => g.Key, g => new ProductUsage(g.Where(r => r.Measure == "requests").Sum(r => r.Value), g.Where(r => r.Measure == "bytes").Sum(r => r.Value)));
        return InvoiceCalculator.Compute(new InvoiceInput(
            period, planStretches, productStretches, RateByPlan(period, planStretches, defaultPlan, rows), options.Value.VatBasisPoints, productUsage));
    }

    /// <summary>
    /// Splits the period's ledger rows by the plan stretch in force at the start of each hour (in the hour an account
    /// opened, its first plan), keeps the statuses each plan bills, and adds them up per stretch.
    /// </summary>
    internal static IReadOnlyList<PlanUsage> RateByPlan(
        BillingPeriod period, IReadOnlyList<PricedStretch<Plan>> stretches, Plan defaultPlan, IReadOnlyList<UsageCounter> rows)
    {
        var fallback = new PricedStretch<Plan>(defaultPlan, period.Start, period.End);
        var byStretch = new Dictionary<PricedStretch<Plan>, (long Requests, long Bytes)>(ReferenceEqualityComparer.Instance);
        foreach (var stretch in stretches.Where(s => period.Coverage(s.From, s.To) > 0))
        {
            byStretch[stretch] = (0, 0);
        }

        foreach (var row in rows)
        {
            var stretch = stretches.LastOrDefault(s => s.From <= row.Hour && (s.To is null || s.To > row.Hour))
                ?? stretches.FirstOrDefault(s => s.From > row.Hour && s.From < row.Hour.AddHours(1))
                ?? fallback;
            if (!stretch.Item.BillableStatusClasses.Contains(row.StatusClass))
            {
                continue;
            }

            var (requests, bytes) = byStretch.GetValueOrDefault(stretch);
            byStretch[stretch] = row.Measure == "requests" ? (requests + row.Value, bytes) : row.Measure == "bytes" ? (requests, bytes + row.Value) : (requests, bytes);
        }

        return byStretch.Select(pair => new PlanUsage(pair.Key, ReferenceEquals(pair.Key, fallback) ? 1m : period.Coverage(pair.Key.From, pair.Key.To),
            pair.Value.Requests, pair.Value.Bytes)).ToList();
    }

    Task<InvoiceRow?> FindRowAsync(string accountId, BillingPeriod period, CancellationToken cancellationToken) => db.SingleAsync<InvoiceRow>(
        "SELECT * FROM invoices WHERE account_id = @accountId AND period = @period", new { accountId, period = period.ToString() }, cancellationToken);

    public async Task<InvoiceView?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var row = await db.SingleAsync<InvoiceRow>("SELECT * FROM invoices WHERE id = @id", new { id }, cancellationToken);
        return row is null ? null : InvoiceView.From(row,
            await db.QueryAsync<InvoiceLineRow>("SELECT * FROM invoice_lines WHERE invoice_id = @id", new { id }, cancellationToken));
    }

    public async Task<IReadOnlyList<InvoiceView>> ListAsync(string? accountId, string? status, string? period, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<InvoiceRow>("""
            SELECT * FROM invoices
            WHERE (@accountId IS NULL OR account_id = @accountId) AND (@status IS NULL OR status = @status) AND (@period IS NULL OR period = @period)
            ORDER BY period DESC, created_at DESC, id
            """, new { accountId, status, period }, cancellationToken);
        var result = new List<InvoiceView>(rows.Count);
        foreach (var row in rows)
        {
            result.Add(InvoiceView.From(row,
                await db.QueryAsync<InvoiceLineRow>("SELECT * FROM invoice_lines WHERE invoice_id = @Id", row, cancellationToken)));
        }

        return result;
    }

    /// <summary>Records a payment of an issued invoice; false when it is not issued.</summary>
    public async Task<bool> MarkPaidAsync(string id, string reference, DateTimeOffset paidAt, CancellationToken cancellationToken) =>
        await db.ExecuteAsync("UPDATE invoices SET status = 'paid', paid_at = @paidAt, payment_reference = @reference WHERE id = @id AND status = 'issued'",
            new { id, reference, paidAt = UnixTime.Of(paidAt) }, cancellationToken) > 0;

    public async Task<bool> VoidAsync(string id, CancellationToken cancellationToken) =>
        await db.ExecuteAsync("UPDATE invoices SET status = 'void', voided_at = @now WHERE id = @id AND status IN ('draft', 'issued')",
            new { id, now = UnixTime.Of(time.GetUtcNow()) }, cancellationToken) > 0;
}
