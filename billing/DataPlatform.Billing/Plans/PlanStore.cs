using System.Text.Json;
using DataPlatform.Billing.Storage;

namespace DataPlatform.Billing.Plans;

/// <summary>Plans and data products, as the admin API edits them and invoices price them.</summary>
sealed class PlanStore(BillingDb db)
{
    public const string DefaultPlanId = "free";

    public async Task<IReadOnlyList<Plan>> ListPlansAsync(CancellationToken cancellationToken) =>
        (await db.QueryAsync<PlanRow>("SELECT * FROM plans ORDER BY monthly_fee, id", null, cancellationToken)).Select(r => r.ToPlan()).ToList();

    public async Task<Plan?> FindPlanAsync(string id, CancellationToken cancellationToken) =>
        (await db.SingleAsync<PlanRow>("SELECT * FROM plans WHERE id = @id", new { id }, cancellationToken))?.ToPlan();

    public async Task<Plan> GetPlanOrDefaultAsync(string? id, CancellationToken cancellationToken) =>
        (id is null ? null : await FindPlanAsync(id, cancellationToken))
        ?? await FindPlanAsync(DefaultPlanId, cancellationToken)
        ?? throw new InvalidOperationException("The free plan is missing; it is seeded by migration 2.");

    public Task UpsertPlanAsync(Plan plan, CancellationToken cancellationToken) => db.ExecuteAsync("""
        INSERT INTO plans (id, name, burst_per_second, requests_per_minute, monthly_requests, monthly_bytes, included_requests,
            included_bytes, monthly_fee, price_per_gb, tiers, billable_status_classes)
        VALUES (@Id, @Name, @BurstPerSecond, @RequestsPerMinute, @MonthlyRequests, @MonthlyBytes, @IncludedRequests,
            @IncludedBytes, @MonthlyFee, @PricePerGb, @Tiers, @BillableStatusClasses)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, burst_per_second = excluded.burst_per_second,
            requests_per_minute = excluded.requests_per_minute, monthly_requests = excluded.monthly_requests,
            monthly_bytes = excluded.monthly_bytes, included_requests = excluded.included_requests,
            included_bytes = excluded.included_bytes, monthly_fee = excluded.monthly_fee, price_per_gb = excluded.price_per_gb,
            tiers = excluded.tiers, billable_status_classes = excluded.billable_status_classes
        """, PlanRow.Parameters(plan), cancellationToken);

    public async Task<IReadOnlyList<DataProduct>> ListProductsAsync(CancellationToken cancellationToken) =>
        (await db.QueryAsync<ProductRow>("SELECT * FROM products ORDER BY id", null, cancellationToken)).Select(r => r.ToProduct()).ToList();

    public async Task<DataProduct?> FindProductAsync(string id, CancellationToken cancellationToken) =>
        (await db.SingleAsync<ProductRow>("SELECT * FROM products WHERE id = @id", new { id }, cancellationToken))?.ToProduct();

    public Task UpsertProductAsync(DataProduct product, CancellationToken cancellationToken) => db.ExecuteAsync("""
        INSERT INTO products (id, name, description, monthly_fee, datasets) VALUES (@Id, @Name, @Description, @MonthlyFee, @Datasets)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
            monthly_fee = excluded.monthly_fee, datasets = excluded.datasets
        """, new { product.Id, product.Name, product.Description, product.MonthlyFee, Datasets = JsonSerializer.Serialize(product.Datasets) },
        cancellationToken);
}
