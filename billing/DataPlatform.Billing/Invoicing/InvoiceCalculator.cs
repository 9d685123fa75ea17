using System.Globalization;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Subscriptions;

namespace DataPlatform.Billing.Invoicing;

/// <summary>The kinds of invoice line.</summary>
static class InvoiceLineKinds
{
    public const string Fee = "fee";
    public const string Included = "included";
    public const string Usage = "usage";
    public const string Data = "data";
    public const string Product = "product";
}

/// <summary>One line of an invoice. <see cref="Amount"/> is whole đồng.</summary>
sealed record InvoiceLine(string Kind, string Description, long Quantity, string Unit, long UnitPrice, long Amount);

/// <summary>A stretch of the period during which an account held something with a monthly price.</summary>
sealed record PricedStretch<T>(T Item, DateTimeOffset From, DateTimeOffset? To);

/// <summary>
/// The billable usage made while one plan was in force, rated under that plan. <see cref="Share"/> is the part of the
/// period the plan covered (1 for a whole month), by which its included usage is prorated as its fee is.
/// </summary>
sealed record PlanUsage(PricedStretch<Plan> Stretch, decimal Share, long BillableRequests, long BillableBytes)
{
    public Plan Plan => Stretch.Item;

    /// <summary>The plan's included requests for the share of the period it covered, to the nearest request.</summary>
    public long IncludedRequests => ProrateAllowance(Plan.IncludedRequests);

    /// <summary>The plan's included bytes for the share of the period it covered, to the nearest byte.</summary>
    public long IncludedBytes => ProrateAllowance(Plan.IncludedBytes);

    long ProrateAllowance(long allowance) => Share >= 1m ? allowance : (long)Math.Round(allowance * Share, 0, MidpointRounding.AwayFromZero);
}

/// <summary>What an invoice is computed from.</summary>
sealed record InvoiceInput(
    BillingPeriod Period,
    IReadOnlyList<PricedStretch<Plan>> Plans,
    IReadOnlyList<PricedStretch<DataProduct>> Products,
    IReadOnlyList<PlanUsage> Usage,
    int VatBasisPoints,
    IReadOnlyDictionary<string, ProductUsage>? ProductUsage = null);

/// <summary>A data product's billable usage in the period (OData, REST, downloads and GraphQL reads of its datasets).</summary>
sealed record ProductUsage(long Requests, long Bytes);

/// <summary>A computed invoice: lines, subtotal, VAT and total, all whole đồng; total = subtotal + VAT = Σ lines + VAT.</summary>
sealed record InvoiceAmounts(IReadOnlyList<InvoiceLine> Lines, long Subtotal, int VatBasisPoints, long Vat, long Total);

/// <summary>
/// Prices one account's period. Every line is rounded to whole đồng on its own (half away from zero), the subtotal is
/// the sum of the rounded lines and VAT is rounded once from the subtotal, so the printed lines always add up to the
/// printed total and Stripe, which treats VND as zero-decimal, receives exactly these integers.
/// </summary>
static class InvoiceCalculator
{
    /// <summary>A gigabyte here is 10⁹ bytes, as in the price list.</summary>
    public const long BytesPerGb = 1_000_000_000;

    static readonly CultureInfo _vietnamese = CultureInfo.GetCultureInfo("vi-VN");

    public static InvoiceAmounts Compute(InvoiceInput input)
    {
        var lines = new List<InvoiceLine>();
        foreach (var stretch in input.Plans.Where(s => s.Item.MonthlyFee > 0 && input.Period.Coverage(s.From, s.To) > 0))
        {
            lines.Add(Prorated(InvoiceLineKinds.Fee, $"Phí thuê bao gói {stretch.Item.Name}", stretch.Item.MonthlyFee, stretch.From, stretch.To, input.Period));
        }

        // Usage is rated under the plan in force when it was made; with one plan all month the lines say nothing more,
        // and after a change each plan's lines name it and the share of the month its included usage was prorated to.
        var several = input.Usage.Count > 1 || input.Usage.Any(u => u.Share < 1m);
        foreach (var usage in input.Usage)
        {
            var stretch = several ? ", " + StretchLabel(usage, input.Period) : "";
            AddRequestLines(lines, usage, stretch);
            AddDataLines(lines, usage, stretch);
        }

        var products = input.Products.Where(s => input.Period.Coverage(s.From, s.To) > 0).ToList();
        foreach (var stretch in products)
        {
            // The product's usage is told on its last line of the period, so that it is shown once.
            var used = input.ProductUsage?.GetValueOrDefault(stretch.Item.Id) is { } usage && stretch == products.Last(s => s.Item.Id == stretch.Item.Id)
                ? $" ({usage.Requests.ToString("N0", _vietnamese)} lượt gọi, {Size(usage.Bytes)})"
                : "";
            lines.Add(Prorated(InvoiceLineKinds.Product, $"Sản phẩm dữ liệu {stretch.Item.Name}{used}", stretch.Item.MonthlyFee, stretch.From, stretch.To, input.Period));
        }

        var subtotal = lines.Sum(l => l.Amount);
        var vat = Round(subtotal * (decimal)input.VatBasisPoints / 10_000m);
        return new InvoiceAmounts(lines, subtotal, input.VatBasisPoints, vat, subtotal + vat);
    }

    static InvoiceLine Prorated(string kind, string description, long monthlyFee, DateTimeOffset from, DateTimeOffset? to, BillingPeriod period)
    {
        var coverage = period.Coverage(from, to);
        if (coverage >= 1m)
        {
            return new InvoiceLine(kind, $"{description} (tháng {period.Month:D2}/{period.Year})", 1, "tháng", monthlyFee, monthlyFee);
        }

        var start = (from > period.Start ? from : period.Start).ToOffset(TimeSpan.FromHours(7));
        var end = (to is { } t && t < period.End ? t : period.End).ToOffset(TimeSpan.FromHours(7));
        var share = coverage.ToString("P2", _vietnamese);
        return new InvoiceLine(kind, $"{description}, tính theo tỷ lệ {start:dd/MM HH:mm}–{end:dd/MM HH:mm} ({share} tháng)",
            1, "tháng", monthlyFee, Round(monthlyFee * coverage));
    }

    /// <summary>Which plan, for which part of the period: "gói Developer 15/12 10:00–01/01 00:00 (54,84% tháng)".</summary>
    static string StretchLabel(PlanUsage usage, BillingPeriod period)
    {
        var start = (usage.Stretch.From > period.Start ? usage.Stretch.From : period.Start).ToOffset(TimeSpan.FromHours(7));
        var end = (usage.Stretch.To is { } t && t < period.End ? t : period.End).ToOffset(TimeSpan.FromHours(7));
        return $"gói {usage.Plan.Name} {start:dd/MM HH:mm}–{end:dd/MM HH:mm} ({usage.Share.ToString("P2", _vietnamese)} tháng)";
    }

    static void AddRequestLines(List<InvoiceLine> lines, PlanUsage usage, string stretch)
    {
        var plan = usage.Plan;
        var requests = usage.BillableRequests;
        var includedRequests = usage.IncludedRequests;
        var included = Math.Min(requests, includedRequests);
        if (requests > 0)
        {
            lines.Add(new InvoiceLine(InvoiceLineKinds.Included,
                $"Lượt gọi API trong hạn mức gói ({includedRequests.ToString("N0", _vietnamese)} lượt{stretch})",
                included, "lượt", 0, 0));
        }

        var lower = includedRequests;
        foreach (var tier in plan.Tiers)
        {
            var upper = tier.UpTo ?? long.MaxValue;
            var inTier = Math.Max(0, Math.Min(requests, upper) - lower);
            if (inTier > 0)
            {
                var range = tier.UpTo is { } upTo
                    ? $"từ {(lower + 1).ToString("N0", _vietnamese)} đến {upTo.ToString("N0", _vietnamese)}"
                    : $"từ {(lower + 1).ToString("N0", _vietnamese)} trở lên";
                lines.Add(new InvoiceLine(InvoiceLineKinds.Usage, $"Lượt gọi API bậc {range}, {tier.PricePer1000.ToString("N0", _vietnamese)} ₫/1.000 lượt{stretch}",
                    inTier, "lượt", tier.PricePer1000, Round(inTier * (decimal)tier.PricePer1000 / 1000m)));
            }

            lower = Math.Max(lower, upper == long.MaxValue ? lower : upper);
        }
    }

    static void AddDataLines(List<InvoiceLine> lines, PlanUsage usage, string stretch)
    {
        var plan = usage.Plan;
        var over = usage.BillableBytes - usage.IncludedBytes;
        if (over <= 0 || plan.PricePerGb == 0)
        {
            return;
        }

        var gb = (decimal)over / BytesPerGb;
        lines.Add(new InvoiceLine(InvoiceLineKinds.Data,
            $"Dữ liệu tải xuống vượt hạn mức: {Size(over)}, {plan.PricePerGb.ToString("N0", _vietnamese)} ₫/GB{stretch}",
            over, "byte", plan.PricePerGb, Round(gb * plan.PricePerGb)));
    }

    static readonly (long Bytes, string Unit)[] _sizeUnits = [(BytesPerGb, "GB"), (1_000_000, "MB"), (1_000, "kB")];

    /// <summary>
    /// A byte count in the largest decimal unit (kB, MB, GB: powers of 10, as the price list's GB) that shows it as at
    /// least 1, with three decimals: 66,126 bytes print as "66,126 kB", never as "0,000 GB".
    /// </summary>
    public static string Size(long bytes)
    {
        foreach (var (unitBytes, unit) in _sizeUnits)
        {
            if (bytes >= unitBytes)
            {
                return ((decimal)bytes / unitBytes).ToString("N3", _vietnamese) + " " + unit;
            }
        }

        return bytes.ToString("N0", _vietnamese) + " byte";
    }

    static long Round(decimal amount) => (long)Math.Round(amount, 0, MidpointRounding.AwayFromZero);

    public static string Dong(long amount) => amount.ToString("N0", _vietnamese) + " ₫";
}
