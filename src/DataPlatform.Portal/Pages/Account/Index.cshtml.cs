using System.Globalization;
using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Portal.Pages.Account;

/// <summary>
/// The developer's dashboard: the plan, this month's requests and bytes against its quotas, and the month's usage by
/// day and by data product, all from the public account API (the ledger that billing harvests from the gateway).
/// </summary>
internal sealed class IndexModel(GatewayClient api, SessionCookie sessions) : AccountPageModel(sessions)
{
    public CallerView Caller { get; private set; } = null!;

    public PlanView? Plan { get; private set; }

    public UsageView ByDay { get; private set; } = null!;

    /// <summary>Every day of the month up to today, with the days without calls as zero, so the chart's axis is true.</summary>
    public IReadOnlyList<UsageBucketView> Days { get; private set; } = [];

    public IReadOnlyList<(string Label, UsageBucketView Usage)> Products { get; private set; } = [];

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => SignedInAsync(async () =>
    {
        Caller = await api.GetCallerAsync(cancellationToken);
        var planId = Caller.Profile?.PlanId ?? Caller.Plan;
        Plan = (await api.ListPlansAsync(cancellationToken)).FirstOrDefault(p => p.Id == planId);
        ByDay = await api.GetUsageAsync("day", cancellationToken);
        var byProduct = await api.GetUsageAsync("product", cancellationToken);
        var products = (await api.ListProductsAsync(cancellationToken)).ToDictionary(p => p.Id, p => p.Name, StringComparer.Ordinal);

        Days = MonthDays(ByDay);
        Products = byProduct.Buckets
            .OrderByDescending(b => b.Requests)
            .Select(b => (b.Bucket == "-" ? "" : products.GetValueOrDefault(b.Bucket, b.Bucket), b))
            .ToList();
        return Page();
    });

    static List<UsageBucketView> MonthDays(UsageView usage)
    {
        var vietnam = TimeSpan.FromHours(7);
        var known = usage.Buckets.ToDictionary(b => b.Bucket, StringComparer.Ordinal);
        var first = DateOnly.FromDateTime(usage.From.ToOffset(vietnam).DateTime);
        var today = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(vietnam).DateTime);
        var last = DateOnly.FromDateTime(usage.To.ToOffset(vietnam).AddSeconds(-1).DateTime);
        var days = new List<UsageBucketView>();
        for (var day = first; day <= last && day <= today; day = day.AddDays(1))
        {
            var key = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            days.Add(known.GetValueOrDefault(key) ?? new UsageBucketView(key, 0, 0));
        }

        return days;
    }

    /// <summary>The share of a quota used, 0–100; <c>null</c> when the plan has no such quota.</summary>
    public static double? Share(long used, long quota) => quota > 0 ? Math.Min(100, used * 100.0 / quota) : null;
}
