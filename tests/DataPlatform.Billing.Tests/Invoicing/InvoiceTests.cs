using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Redis;

namespace DataPlatform.Billing.Tests.Invoicing;

/// <summary>Invoices from the ledger: lines by tier, whole đồng with VAT, numbering, payment, voiding and the printable page.</summary>
public abstract class InvoiceTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    static DateTimeOffset ThisHour()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
    }

    async Task CountAsync(string accountId, string statusClass, long requests, long bytes, string? product = null)
    {
        var redis = await _billing.RedisAsync();
        var hour = ThisHour();
        await redis.SetAddAsync(RedisKeys.UsageIndex(hour), accountId);
        await redis.HashIncrementAsync(RedisKeys.Usage(accountId, hour), UsageField.Requests(product, statusClass), requests);
        await redis.HashIncrementAsync(RedisKeys.Usage(accountId, hour), UsageField.Bytes(product, statusClass), bytes);
        using var admin = _billing.Admin();
        var at = Uri.EscapeDataString(hour.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"));
        using var harvest = await admin.PostAsync($"/api/v1/admin/usage/harvest?from={at}&to={at}", null);
        Assert.Equal(HttpStatusCode.OK, harvest.StatusCode);
    }

    [Fact]
    public async Task The_draft_invoice_prices_usage_by_tier_and_only_billable_statuses()
    {
        var accountId = await _billing.CreateAccountAsync(plan: "developer");
        await CountAsync(accountId, "2xx", 650_000, 7_000_000_000);
        await CountAsync(accountId, "5xx", 1_000, 1_000);

        using var owner = _billing.Owner(accountId);
        var invoice = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices/current");

        Assert.Equal("draft", invoice.GetProperty("status").GetString());
        Assert.Equal("VND", invoice.GetProperty("currency").GetString());
        var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
        var fee = lines.Single(l => l.GetProperty("kind").GetString() == "fee").GetProperty("amount").GetInt64();
        Assert.InRange(fee, 1, 199_000);
        // The account opened today, so its fee and its included usage (100,000 requests, 5 GB) are prorated alike.
        var included = lines.Single(l => l.GetProperty("kind").GetString() == "included").GetProperty("quantity").GetInt64();
        Assert.InRange(included, 100_000m * fee / 199_000m - 1, 100_000m * fee / 199_000m + 1);
        var usage = lines.Where(l => l.GetProperty("kind").GetString() == "usage").Select(l => (l.GetProperty("quantity").GetInt64(), l.GetProperty("amount").GetInt64())).ToList();
        // The rest up to 500,000 at 2,000 ₫ per 1,000; 150,000 at 1,500 ₫ per 1,000. The 5xx calls are not billed.
        var firstTier = 500_000 - included;
        Assert.Equal([(firstTier, (long)Math.Round(firstTier * 2m, MidpointRounding.AwayFromZero)), (150_000L, 225_000L)], usage);
        var data = lines.Single(l => l.GetProperty("kind").GetString() == "data");
        var includedBytes = (long)Math.Round(5_000_000_000m * fee / 199_000m);
        Assert.InRange(data.GetProperty("quantity").GetInt64(), 7_000_000_000 - includedBytes - 50_000, 7_000_000_000 - includedBytes + 50_000);
        Assert.Contains(" GB, 5.000 ₫/GB", data.GetProperty("description").GetString());
        var subtotal = lines.Sum(l => l.GetProperty("amount").GetInt64());
        Assert.Equal(fee + usage.Sum(u => u.Item2) + data.GetProperty("amount").GetInt64(), subtotal);
        Assert.Equal(subtotal, invoice.GetProperty("subtotal").GetInt64());
        var vat = (long)Math.Round(subtotal * 0.1m, MidpointRounding.AwayFromZero);
        Assert.Equal(vat, invoice.GetProperty("vat").GetInt64());
        Assert.Equal(subtotal + vat, invoice.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task An_upgrade_in_the_middle_of_the_month_prorates_the_new_plan_and_a_product()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "free");
        using var owner = _billing.Owner(accountId);
        using var upgrade = await owner.PutAsJsonAsync("/api/v1/account/subscription/plan", new { planId = "partner" });
        using var product = await owner.PostAsJsonAsync("/api/v1/account/subscription/products", new { productId = "hr-analytics" });

        var invoice = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices/current");

        var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
        var fee = lines.Single(l => l.GetProperty("kind").GetString() == "fee");
        Assert.InRange(fee.GetProperty("amount").GetInt64(), 1, 2_500_000);
        Assert.Contains("tỷ lệ", fee.GetProperty("description").GetString());
        var productLine = lines.Single(l => l.GetProperty("kind").GetString() == "product");
        Assert.Contains("Phân tích nhân sự công vụ", productLine.GetProperty("description").GetString());
        Assert.InRange(productLine.GetProperty("amount").GetInt64(), 1, 1_500_000);
        // The same share of the month is left for both, so their prorated amounts stand in the ratio of their prices.
        Assert.InRange(fee.GetProperty("amount").GetInt64() * 3 - productLine.GetProperty("amount").GetInt64() * 5, -10, 10);
    }

    [Fact]
    public async Task An_issued_invoice_is_numbered_paid_once_and_then_cannot_be_voided()
    {
        var accountId = await _billing.CreateAccountAsync();
        using var admin = _billing.Admin();
        var previous = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).AddMonths(-1).ToString("yyyy-MM");

        using var generate = await admin.PostAsJsonAsync("/api/v1/admin/invoices/generate", new { period = previous, accountId });
        Assert.Equal(HttpStatusCode.OK, generate.StatusCode);
        var invoice = (await generate.Content.ReadFromJsonAsync<JsonElement>())[0];
        var id = invoice.GetProperty("id").GetString();
        Assert.Equal("issued", invoice.GetProperty("status").GetString());
        Assert.Matches(@"^DP-\d{4}-\d{6}$", invoice.GetProperty("number").GetString());

        using var again = await admin.PostAsJsonAsync("/api/v1/admin/invoices/generate", new { period = previous, accountId });
        Assert.Equal(invoice.GetProperty("number").GetString(), (await again.Content.ReadFromJsonAsync<JsonElement>())[0].GetProperty("number").GetString());

        using var paid = await admin.PostAsJsonAsync($"/api/v1/admin/invoices/{id}/payments", new { reference = "UNC 0001/2026" });
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        Assert.Equal("paid", (await paid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        using var twice = await admin.PostAsJsonAsync($"/api/v1/admin/invoices/{id}/payments", new { reference = "UNC 0002/2026" });
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        using var voided = await admin.PostAsync($"/api/v1/admin/invoices/{id}/void", null);
        Assert.Equal(HttpStatusCode.Conflict, voided.StatusCode);

        using var owner = _billing.Owner(accountId);
        var own = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices");
        Assert.Equal(id, own.EnumerateArray().Single().GetProperty("id").GetString());
    }

    [Fact]
    public async Task Invoices_of_different_accounts_get_different_increasing_numbers()
    {
        var first = await _billing.CreateAccountAsync();
        var second = await _billing.CreateAccountAsync();
        using var admin = _billing.Admin();
        var previous = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).AddMonths(-1).ToString("yyyy-MM");

        var numbers = new List<string>();
        foreach (var accountId in new[] { first, second })
        {
            using var response = await admin.PostAsJsonAsync("/api/v1/admin/invoices/generate", new { period = previous, accountId });
            numbers.Add((await response.Content.ReadFromJsonAsync<JsonElement>())[0].GetProperty("number").GetString()!);
        }

        Assert.True(string.CompareOrdinal(numbers[0], numbers[1]) < 0, $"{numbers[0]} should come before {numbers[1]}");
    }

    [Fact]
    public async Task The_printable_invoice_is_utf8_html_with_the_organisation_and_the_total_in_dong()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        using var owner = _billing.Owner(accountId);
        var invoice = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices/current");

        using var response = await owner.GetAsync($"/api/v1/account/invoices/{invoice.GetProperty("id").GetString()}/html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Sở Nội vụ tỉnh Thử Nghiệm", html);
        Assert.Contains("0101234567", html);
        Assert.Contains("@media print", html);
        Assert.Contains(invoice.GetProperty("total").GetInt64().ToString("N0", System.Globalization.CultureInfo.GetCultureInfo("vi-VN")) + " ₫", html);
    }

    [Fact]
    public async Task Another_accounts_invoice_is_not_found()
    {
        var owner1 = await _billing.CreateAccountAsync();
        var owner2 = await _billing.CreateAccountAsync();
        using var first = _billing.Owner(owner1);
        var invoice = await first.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices/current");

        using var second = _billing.Owner(owner2);
        using var response = await second.GetAsync($"/api/v1/account/invoices/{invoice.GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class InvoiceTests_Embedded(BillingEmbeddedFixture platform) : InvoiceTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class InvoiceTests_Production(BillingProductionFixture platform) : InvoiceTests(platform);
