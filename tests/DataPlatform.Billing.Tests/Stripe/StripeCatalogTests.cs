using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPlatform.Billing.Tests.Stripe;

/// <summary>
/// Plans and data products become Stripe Products and Prices in whole-đồng VND, and each paying account's plan and
/// products become one Stripe Subscription that follows every change; retried creates never make a second object.
/// </summary>
public abstract class StripeCatalogTests(StripePlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    StripeFake Stripe => platform.Stripe;

    async Task<HttpResponseMessage> SyncAsync()
    {
        using var admin = _billing.Admin();
        return await admin.PostAsync("/api/v1/admin/stripe/sync", null);
    }

    async Task<string> NewProductAsync(long monthlyFee)
    {
        var productId = BillingDriver.UniqueId("goi-du-lieu").ToLowerInvariant();
        using var admin = _billing.Admin();
        using var put = await admin.PutAsJsonAsync($"/api/v1/admin/products/{productId}", new
        {
            name = "Gói dữ liệu thử nghiệm",
            description = "Biên chế công chức theo tỉnh",
            monthlyFee,
            datasets = new[] { "bien-che-cong-chuc-theo-tinh" },
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return productId;
    }

    /// <summary>The price created for a component such as <c>plan:partner:fee</c>, with the form Stripe received.</summary>
    (string Id, Dictionary<string, string> Form) PriceOf(string component) =>
        Stripe.Prices.Where(p => p.Value.GetValueOrDefault("metadata[component]") == component).Select(p => (p.Key, p.Value)).Single();

    static decimal Number(string text) => decimal.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Plans_and_products_become_stripe_products_with_whole_dong_vnd_prices_under_idempotency_keys()
    {
        var productId = await NewProductAsync(monthlyFee: 1_234_567);

        using var sync = await SyncAsync();

        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        Assert.Equal("Gói dữ liệu thử nghiệm", Stripe.Products[$"dp_product_{productId}"]["name"]);
        var (_, productPrice) = PriceOf($"product:{productId}:fee");
        Assert.Equal("vnd", productPrice["currency"]);
        Assert.Equal("1234567", productPrice["unit_amount"]);
        Assert.Equal("month", productPrice["recurring[interval]"]);
        Assert.Equal("licensed", productPrice["recurring[usage_type]"]);

        var (_, fee) = PriceOf("plan:partner:fee");
        Assert.Equal(("vnd", "2500000", "dp_plan_partner"), (fee["currency"], fee["unit_amount"], fee["product"]));
        var (_, requests) = PriceOf("plan:partner:requests");
        Assert.Equal(("vnd", "tiered", "graduated", "metered"),
            (requests["currency"], requests["billing_scheme"], requests["tiers_mode"], requests["recurring[usage_type]"]));
        Assert.False(string.IsNullOrEmpty(requests["recurring[meter]"]));
        // The first million requests are included; then 1,000, 700 and 500 đồng per 1,000 requests.
        Assert.Equal(("1000000", "0"), (requests["tiers[0][up_to]"], requests["tiers[0][unit_amount]"]));
        Assert.Equal(("5000000", 1m), (requests["tiers[1][up_to]"], Number(requests["tiers[1][unit_amount_decimal]"])));
        Assert.Equal(("20000000", 0.7m), (requests["tiers[2][up_to]"], Number(requests["tiers[2][unit_amount_decimal]"])));
        Assert.Equal(("inf", 0.5m), (requests["tiers[3][up_to]"], Number(requests["tiers[3][unit_amount_decimal]"])));
        var (_, bytes) = PriceOf("plan:partner:bytes");
        Assert.Equal(3_000m / 1_000_000_000m, Number(bytes["tiers[1][unit_amount_decimal]"]));

        var priceCalls = Stripe.Calls.Where(c => c.Path == "/v1/prices").ToList();
        Assert.All(priceCalls, c => Assert.StartsWith("price:" + c.Form["metadata[component]"] + ":", c.IdempotencyKey));
        var productCall = Assert.Single(Stripe.Calls, c => c.Path == "/v1/products" && c.Form["id"] == $"dp_product_{productId}");
        Assert.Equal($"product:product:{productId}", productCall.IdempotencyKey);

        var callsBefore = Stripe.Calls.Count(c => c.Path is "/v1/prices" or "/v1/products");
        using var again = await SyncAsync();
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(callsBefore, Stripe.Calls.Count(c => c.Path is "/v1/prices" or "/v1/products"));
    }

    [Fact]
    public async Task Subscribing_changing_the_plan_and_cancelling_reach_the_stripe_subscription_at_once()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        using var owner = _billing.Owner(accountId);

        using var subscribe = await owner.PostAsJsonAsync("/api/v1/account/subscription/products", new { productId = "hr-analytics" });

        Assert.Equal(HttpStatusCode.OK, subscribe.StatusCode);
        var customer = Stripe.CustomerOf(accountId);
        var subscription = Assert.Single(Stripe.Subscriptions.Values, s => s.Customer == customer);
        Assert.Equal(
            new[] { "plan:partner:fee", "plan:partner:requests", "plan:partner:bytes", "product:hr-analytics:fee" }.Select(c => PriceOf(c).Id).Order(),
            subscription.Items.Select(i => i.Price).Order());
        var create = Stripe.Calls.Single(c => c.Path == "/v1/subscriptions" && c.Form["customer"] == customer);
        Assert.StartsWith($"subscription:{accountId}:", create.IdempotencyKey);
        Assert.Equal("create_prorations", create.Form["proration_behavior"]);
        // Stripe's cycle follows the billing period: the 1st of next month, 00:00 in Hà Nội.
        var hanoi = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7));
        var periodEnd = new DateTimeOffset(hanoi.Year, hanoi.Month, 1, 0, 0, 0, TimeSpan.FromHours(7)).AddMonths(1);
        Assert.Equal(periodEnd.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), create.Form["billing_cycle_anchor"]);

        using var downgrade = await owner.PutAsJsonAsync("/api/v1/account/subscription/plan", new { planId = "developer" });
        subscription = Stripe.Subscriptions[subscription.Id];
        Assert.Equal(
            new[] { "plan:developer:fee", "plan:developer:requests", "plan:developer:bytes", "product:hr-analytics:fee" }.Select(c => PriceOf(c).Id).Order(),
            subscription.Items.Select(i => i.Price).Order());
        Assert.False(subscription.CancelAtPeriodEnd);

        using var cancel = await owner.PostAsync("/api/v1/account/subscription/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.True(Stripe.Subscriptions[subscription.Id].CancelAtPeriodEnd);
        Assert.Single(Stripe.Subscriptions.Values, s => s.Customer == customer);
    }

    [Fact]
    public async Task A_price_whose_answer_was_lost_is_created_once_when_the_sync_runs_again()
    {
        using (var warm = await SyncAsync())
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var productId = await NewProductAsync(monthlyFee: 990_000);
        Stripe.DropNextAnswerTo("/v1/prices");

        using var lost = await SyncAsync();
        using var retried = await SyncAsync();

        Assert.Equal(HttpStatusCode.BadGateway, lost.StatusCode);
        Assert.Equal("/problems/stripe-unavailable", (await lost.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var (_, price) = PriceOf($"product:{productId}:fee");
        Assert.Equal("990000", price["unit_amount"]);
        var calls = Stripe.Calls.Where(c => c.Path == "/v1/prices" && c.Form.GetValueOrDefault("metadata[component]") == $"product:{productId}:fee").ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal(calls[0].IdempotencyKey, calls[1].IdempotencyKey);
        Assert.True(calls[1].Replayed);
    }

    [Fact]
    public async Task An_account_that_stops_paying_has_its_stripe_subscription_cancelled()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        using var owner = _billing.Owner(accountId);
        using var subscribe = await owner.PostAsJsonAsync("/api/v1/account/subscription/products", new { productId = "hr-analytics" });
        var subscription = Assert.Single(Stripe.Subscriptions.Values, s => s.Customer == Stripe.CustomerOf(accountId));

        using var admin = _billing.Admin();
        using var free = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/subscription/plan", new { planId = "free" });
        using var unsubscribe = await admin.DeleteAsync($"/api/v1/admin/accounts/{accountId}/subscription/products/hr-analytics");
        Assert.Equal("active", Stripe.Subscriptions[subscription.Id].Status);
        using var close = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/status", new { status = "closed" });
        using var sync = await SyncAsync();

        Assert.Equal(HttpStatusCode.OK, sync.StatusCode);
        Assert.Equal("canceled", Stripe.Subscriptions[subscription.Id].Status);
        Assert.Contains(Stripe.Calls, c => c.Method == "DELETE" && c.Path == $"/v1/subscriptions/{subscription.Id}");
    }
}

[Collection(StripeEmbeddedCollection.Name)]
public sealed class StripeCatalogTests_Embedded(StripeEmbeddedFixture platform) : StripeCatalogTests(platform);

[Collection(StripeProductionCollection.Name)]
public sealed class StripeCatalogTests_Production(StripeProductionFixture platform) : StripeCatalogTests(platform);
