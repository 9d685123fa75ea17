using DataPlatform.Billing.Invoicing;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Subscriptions;

namespace DataPlatform.Billing.Tests.Invoicing;

/// <summary>
/// Invoice arithmetic as properties over many random usage sets, plans and subscription histories, drawn from a
/// fixed seed so that a failure reproduces: whole đồng everywhere, lines that add up to the total, tiers that
/// partition the requests, and prorated fees that add up to the monthly fee.
/// </summary>
public sealed class InvoiceCalculatorTests
{
    const int Seed = 20261127;
    const int Cases = 2_000;

    static Plan RandomPlan(Random random)
    {
        var included = random.Next(0, 3) == 0 ? 0 : random.NextInt64(0, 2_000_000);
        var tiers = new List<PriceTier>();
        var bound = included;
        for (var i = random.Next(0, 4); i > 0; i--)
        {
            bound += random.NextInt64(1, 5_000_000);
            tiers.Add(new PriceTier(bound, random.NextInt64(0, 5_000)));
        }

        if (random.Next(2) == 0)
        {
            tiers.Add(new PriceTier(null, random.NextInt64(0, 5_000)));
        }

        return new Plan("p" + random.Next(), "Gói thử", 10, 100, 0, 0, included, random.NextInt64(0, 10_000_000_000),
            random.NextInt64(0, 10_000_000), random.NextInt64(0, 20_000), tiers, ["2xx"]);
    }

    static BillingPeriod RandomPeriod(Random random) => new(random.Next(2024, 2030), random.Next(1, 13));

    static DateTimeOffset Within(Random random, BillingPeriod period) =>
        period.Start.AddSeconds(random.NextInt64(0, (long)(period.End - period.Start).TotalSeconds));

    static InvoiceInput RandomInput(Random random)
    {
        var period = RandomPeriod(random);
        var plans = new List<PricedStretch<Plan>>();
        var cursor = period.Start.AddDays(-random.Next(0, 40));
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            var end = i == 1 && random.Next(2) == 0 ? (DateTimeOffset?)null : Within(random, period);
            if (end is { } e && e < cursor)
            {
                end = cursor;
            }

            plans.Add(new(RandomPlan(random), cursor, end));
            cursor = end ?? period.End;
        }

        var products = Enumerable.Range(0, random.Next(0, 3)).Select(_ =>
        {
            var from = Within(random, period);
            return new PricedStretch<DataProduct>(
                new DataProduct("p", "Sản phẩm", "", random.NextInt64(0, 5_000_000), []), from, random.Next(2) == 0 ? null : Within(random, period).AddDays(40));
        }).ToList();

        return new InvoiceInput(period, plans, products,
            [new PlanUsage(plans[^1], 1m, random.Next(4) == 0 ? 0 : random.NextInt64(0, 60_000_000), random.NextInt64(0, 500_000_000_000))],
            random.Next(0, 2_001));
    }

    [Fact]
    public void The_total_is_always_the_sum_of_the_lines_plus_vat_rounded_once_in_whole_dong()
    {
        var random = new Random(Seed);
        for (var i = 0; i < Cases; i++)
        {
            var input = RandomInput(random);

            var invoice = InvoiceCalculator.Compute(input);

            Assert.All(invoice.Lines, line => Assert.True(line.Amount >= 0, $"case {i}: negative line {line}"));
            Assert.Equal(invoice.Lines.Sum(l => l.Amount), invoice.Subtotal);
            var exactVat = invoice.Subtotal * (decimal)input.VatBasisPoints / 10_000m;
            Assert.True(Math.Abs(invoice.Vat - exactVat) <= 0.5m, $"case {i}: VAT {invoice.Vat} is not {exactVat} rounded");
            Assert.Equal(invoice.Subtotal + invoice.Vat, invoice.Total);
        }
    }

    [Fact]
    public void Tier_lines_partition_the_requests_beyond_the_included_ones_and_each_is_priced_to_the_nearest_dong()
    {
        var random = new Random(Seed + 1);
        for (var i = 0; i < Cases; i++)
        {
            var input = RandomInput(random);
            var usage0 = input.Usage[0];
            var plan = usage0.Plan;

            var invoice = InvoiceCalculator.Compute(input);

            var usage = invoice.Lines.Where(l => l.Kind == InvoiceLineKinds.Usage).ToList();
            var included = invoice.Lines.Where(l => l.Kind == InvoiceLineKinds.Included).Sum(l => l.Quantity);
            Assert.Equal(Math.Min(usage0.BillableRequests, plan.IncludedRequests), included);
            var pricedCeiling = plan.Tiers.Count == 0 ? plan.IncludedRequests : plan.Tiers[^1].UpTo ?? long.MaxValue;
            var expectedPriced = Math.Max(0, Math.Min(usage0.BillableRequests, pricedCeiling) - plan.IncludedRequests);
            Assert.Equal(expectedPriced, usage.Sum(l => l.Quantity));
            foreach (var line in usage)
            {
                var exact = line.Quantity * (decimal)line.UnitPrice / 1000m;
                Assert.True(Math.Abs(line.Amount - exact) <= 0.5m, $"case {i}: {line.Amount} is not {exact} rounded");
            }
        }
    }

    [Fact]
    public void Fees_prorated_over_a_plan_change_add_up_to_the_monthly_fee_within_a_dong_per_line()
    {
        var random = new Random(Seed + 2);
        for (var i = 0; i < Cases; i++)
        {
            var period = RandomPeriod(random);
            var change = Within(random, period);
            var fee = random.NextInt64(1, 50_000_000);
            var plan = new Plan("same", "Cùng giá", 1, 1, 0, 0, 0, 0, fee, 0, [], ["2xx"]);
            var input = new InvoiceInput(period, [new(plan, period.Start.AddDays(-3), change), new(plan, change, null)], [], [], 1000);

            var fees = InvoiceCalculator.Compute(input).Lines.Where(l => l.Kind == InvoiceLineKinds.Fee).ToList();

            Assert.InRange(fees.Sum(l => l.Amount), fee - fees.Count, fee + fees.Count);
        }
    }

    [Fact]
    public void A_month_of_the_developer_plan_is_priced_exactly_as_the_price_list_says()
    {
        var plan = new Plan("developer", "Nhà phát triển", 20, 600, 0, 0, 100_000, 5_000_000_000, 199_000, 5_000,
            [new PriceTier(500_000, 2_000), new PriceTier(null, 1_500)], ["2xx"]);
        var period = new BillingPeriod(2026, 11);

        PricedStretch<Plan> stretch = new(plan, period.Start.AddMonths(-2), null);
        var invoice = InvoiceCalculator.Compute(new InvoiceInput(
            period, [stretch], [], [new PlanUsage(stretch, 1m, 650_001, 7_250_000_000)], 1_000));

        // 199,000 fee + 400,000 × 2 + 150,001 × 1.5 (225,001.5 → 225,002) + 2.25 GB × 5,000 (11,250) = 1,235,252.
        Assert.Equal([199_000, 0, 800_000, 225_002, 11_250], invoice.Lines.Select(l => l.Amount));
        Assert.Equal(1_235_252, invoice.Subtotal);
        Assert.Equal(123_525, invoice.Vat);
        Assert.Equal(1_358_777, invoice.Total);
    }

    [Fact]
    public void Usage_before_a_mid_month_upgrade_is_rated_under_the_old_plan_and_the_new_plans_allowance_is_prorated()
    {
        // The audit's case: 61 requests under free, then an upgrade halfway through to a plan with 20 included requests.
        var free = new Plan("free", "Miễn phí", 5, 60, 10_000, 0, 10_000, 0, 0, 0, [], ["2xx"]);
        var metered = new Plan("metered", "Theo lượt", 10, 600, 0, 0, 20, 0, 100_000, 0, [new PriceTier(null, 1_000_000)], ["2xx"]);
        var period = new BillingPeriod(2026, 11);
        var change = period.Start.AddDays(15);
        PricedStretch<Plan> before = new(free, period.Start.AddMonths(-1), change), after = new(metered, change, null);
        var share = period.Coverage(change, null);
        var rows = new List<Billing.Usage.UsageCounter>
        {
            new("acct", change.AddHours(-3), "-", "2xx", "requests", 61),
            new("acct", change.AddHours(2), "-", "2xx", "requests", 12),
            new("acct", change.AddHours(2), "-", "4xx", "requests", 40),
        };

        var usage = InvoiceStore.RateByPlan(period, [before, after], free, rows);
        var invoice = InvoiceCalculator.Compute(new InvoiceInput(period, [before, after], [], usage, 1_000));

        Assert.Equal([(free, 61L), (metered, 12L)], usage.Select(u => (u.Plan, u.BillableRequests)));
        Assert.Equal(0.5m, share);
        // Half the month at the new plan: 10 of its 20 requests are included, the other 2 are charged at 1,000 ₫ each.
        var included = invoice.Lines.Where(l => l.Kind == InvoiceLineKinds.Included).ToList();
        Assert.Equal([61L, 10L], included.Select(l => l.Quantity));
        Assert.Contains("gói Theo lượt 16/11 00:00–01/12 00:00", included[1].Description);
        var charged = invoice.Lines.Single(l => l.Kind == InvoiceLineKinds.Usage);
        Assert.Equal((2L, 2_000L), (charged.Quantity, charged.Amount));
        Assert.Equal(50_000 + 2_000, invoice.Subtotal);
    }

    [Fact]
    public void A_month_on_one_plan_keeps_the_whole_allowance_and_its_lines_name_no_stretch()
    {
        var plan = new Plan("developer", "Nhà phát triển", 20, 600, 0, 0, 100_000, 0, 199_000, 0, [new PriceTier(null, 2_000)], ["2xx"]);
        var period = new BillingPeriod(2026, 11);
        PricedStretch<Plan> stretch = new(plan, period.Start.AddMonths(-3), null);

        var usage = InvoiceStore.RateByPlan(period, [stretch], plan, [new("acct", period.Start.AddDays(3), "-", "2xx", "requests", 100_500)]);
        var lines = InvoiceCalculator.Compute(new InvoiceInput(period, [stretch], [], usage, 1_000)).Lines;

        Assert.Equal("Lượt gọi API trong hạn mức gói (100.000 lượt)", lines.Single(l => l.Kind == InvoiceLineKinds.Included).Description);
        Assert.Equal(1_000, lines.Single(l => l.Kind == InvoiceLineKinds.Usage).Amount);
    }

    [Theory]
    [InlineData(66_126, "66,126 kB")]
    [InlineData(999, "999 byte")]
    [InlineData(2_250_000_000, "2,250 GB")]
    [InlineData(7_500_000, "7,500 MB")]
    public void The_data_line_shows_its_quantity_in_a_unit_that_displays_it(long bytes, string shown)
    {
        var plan = new Plan("p", "Gói dữ liệu", 1, 1, 0, 0, 0, 0, 0, 5_000, [], ["2xx"]);
        var period = new BillingPeriod(2026, 11);
        PricedStretch<Plan> stretch = new(plan, period.Start.AddMonths(-1), null);

        var data = InvoiceCalculator.Compute(new InvoiceInput(period, [stretch], [], [new PlanUsage(stretch, 1m, 0, bytes)], 0)).Lines
            .Single(l => l.Kind == InvoiceLineKinds.Data);

        Assert.Equal(bytes, data.Quantity);
        Assert.StartsWith($"Dữ liệu tải xuống vượt hạn mức: {shown}, 5.000 ₫/GB", data.Description);
    }

    [Fact]
    public void The_billing_period_starts_at_midnight_in_ha_noi()
    {
        var period = BillingPeriod.Containing(new DateTimeOffset(2026, 11, 30, 17, 0, 0, TimeSpan.Zero));

        Assert.Equal(new BillingPeriod(2026, 12), period);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 17, 0, 0, TimeSpan.Zero), period.Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 17, 0, 0, TimeSpan.Zero), period.End);
    }
}
