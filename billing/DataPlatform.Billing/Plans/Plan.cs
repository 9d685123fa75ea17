using System.Text.Json;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Billing.Plans;

/// <summary>One graduated price tier: requests up to <see cref="UpTo"/> (the open top tier has none) at a price per 1,000.</summary>
sealed record PriceTier(long? UpTo, long PricePer1000);

/// <summary>A plan: limits the gateway enforces, usage included in the fee, and prices in whole đồng.</summary>
sealed record Plan(
    string Id,
    string Name,
    int BurstPerSecond,
    int RequestsPerMinute,
    long MonthlyRequests,
    long MonthlyBytes,
    long IncludedRequests,
    long IncludedBytes,
    long MonthlyFee,
    long PricePerGb,
    IReadOnlyList<PriceTier> Tiers,
    IReadOnlyList<string> BillableStatusClasses)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public PlanLimits Limits => new(Id, BurstPerSecond, RequestsPerMinute, MonthlyRequests, MonthlyBytes, BillableStatusClasses);
}

/// <summary>A data product: a set of paid datasets with a monthly price of its own.</summary>
sealed record DataProduct(string Id, string Name, string Description, long MonthlyFee, IReadOnlyList<string> Datasets);

sealed class PlanRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public long BurstPerSecond { get; set; }
    public long RequestsPerMinute { get; set; }
    public long MonthlyRequests { get; set; }
    public long MonthlyBytes { get; set; }
    public long IncludedRequests { get; set; }
    public long IncludedBytes { get; set; }
    public long MonthlyFee { get; set; }
    public long PricePerGb { get; set; }
    public string Tiers { get; set; } = "[]";
    public string BillableStatusClasses { get; set; } = "2xx";

    static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    public Plan ToPlan() => new(
        Id, Name, (int)BurstPerSecond, (int)RequestsPerMinute, MonthlyRequests, MonthlyBytes, IncludedRequests, IncludedBytes,
        MonthlyFee, PricePerGb, JsonSerializer.Deserialize<List<PriceTier>>(Tiers, _json) ?? [],
        BillableStatusClasses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public static object Parameters(Plan plan) => new
    {
        plan.Id,
        plan.Name,
        BurstPerSecond = (long)plan.BurstPerSecond,
        RequestsPerMinute = (long)plan.RequestsPerMinute,
        plan.MonthlyRequests,
        plan.MonthlyBytes,
        plan.IncludedRequests,
        plan.IncludedBytes,
        plan.MonthlyFee,
        plan.PricePerGb,
        Tiers = JsonSerializer.Serialize(plan.Tiers, _json),
        BillableStatusClasses = string.Join(',', plan.BillableStatusClasses),
    };
}

sealed class ProductRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public long MonthlyFee { get; set; }
    public string Datasets { get; set; } = "[]";

    public DataProduct ToProduct() => new(Id, Name, Description, MonthlyFee, JsonSerializer.Deserialize<List<string>>(Datasets) ?? []);
}
