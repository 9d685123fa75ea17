using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Billing.Tests.ApiKeys;

/// <summary>Keys are shown once, stored as hashes, and every change reaches the gateway through Redis at once.</summary>
public abstract class ApiKeyTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    [Fact]
    public async Task A_new_key_is_well_formed_and_its_descriptor_carries_the_plan_limits_and_owner_roles()
    {
        var accountId = await _billing.CreateAccountAsync(plan: "developer");

        var (key, keyId) = await _billing.CreateKeyAsync(accountId, "mobile app");

        Assert.True(ApiKeyFormat.IsWellFormed(key));
        var descriptor = await _billing.DescriptorAsync(key);
        Assert.NotNull(descriptor);
        Assert.Equal(keyId, descriptor.KeyId);
        Assert.Equal(accountId, descriptor.AccountId);
        Assert.Equal(accountId, descriptor.ConsumerId);
        Assert.Equal(ApiKeyStatus.Active, descriptor.Status);
        Assert.Equal("developer", descriptor.Limits.PlanId);
        Assert.Equal(20, descriptor.Limits.BurstPerSecond);
        Assert.Equal(600, descriptor.Limits.RequestsPerMinute);
        Assert.Contains(Roles.Owner, descriptor.Roles);
    }

    [Fact]
    public async Task Listing_keys_never_shows_a_key_only_its_hint()
    {
        var accountId = await _billing.CreateAccountAsync();
        var (key, keyId) = await _billing.CreateKeyAsync(accountId, "khóa thử nghiệm");

        using var owner = _billing.Owner(accountId);
        var body = await owner.GetStringAsync("/api/v1/account/keys");

        Assert.DoesNotContain(key, body);
        var listed = JsonDocument.Parse(body).RootElement.EnumerateArray().Single();
        Assert.Equal(keyId, listed.GetProperty("id").GetString());
        Assert.Equal("khóa thử nghiệm", listed.GetProperty("name").GetString());
        Assert.Equal(ApiKeyFormat.Hint(key), listed.GetProperty("hint").GetString());
    }

    [Fact]
    public async Task A_key_with_an_expiry_is_described_with_that_expiry()
    {
        var accountId = await _billing.CreateAccountAsync();
        var expiry = DateTimeOffset.UtcNow.AddDays(7);

        var (key, _) = await _billing.CreateKeyAsync(accountId, expiresAt: expiry);

        var descriptor = await _billing.DescriptorAsync(key);
        Assert.Equal(expiry.ToUnixTimeSeconds(), descriptor!.ExpiresAt!.Value.ToUnixTimeSeconds());
        Assert.Equal(ApiKeyStatus.Expired, descriptor.StatusAt(expiry.AddSeconds(1)));
    }

    [Fact]
    public async Task Revoking_a_key_marks_its_descriptor_revoked_and_publishes_an_invalidation()
    {
        var accountId = await _billing.CreateAccountAsync();
        var (key, keyId) = await _billing.CreateKeyAsync(accountId);
        var messages = await ListenAsync();

        using var owner = _billing.Owner(accountId);
        using var response = await owner.DeleteAsync($"/api/v1/account/keys/{keyId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var descriptor = await _billing.DescriptorAsync(key);
        Assert.Equal(ApiKeyStatus.Revoked, descriptor!.Status);
        Assert.False(string.IsNullOrEmpty(descriptor.StatusReason));
        await AssertEventuallyAsync(() => messages.Contains(Invalidation.ApiKey(ApiKeyFormat.Hash(key))));
    }

    [Fact]
    public async Task Rotating_a_key_keeps_the_old_one_working_for_the_overlap_only()
    {
        var accountId = await _billing.CreateAccountAsync();
        var (oldKey, oldId) = await _billing.CreateKeyAsync(accountId);
        var before = DateTimeOffset.UtcNow;

        using var owner = _billing.Owner(accountId);
        using var response = await owner.PostAsync($"/api/v1/account/keys/{oldId}/rotate", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>();
        var newKey = rotated.GetProperty("key").GetString()!;
        Assert.NotEqual(oldKey, newKey);
        var oldDescriptor = await _billing.DescriptorAsync(oldKey);
        var newDescriptor = await _billing.DescriptorAsync(newKey);
        Assert.Equal(ApiKeyStatus.Active, oldDescriptor!.StatusAt(DateTimeOffset.UtcNow));
        Assert.Equal(ApiKeyStatus.Active, newDescriptor!.StatusAt(DateTimeOffset.UtcNow.AddDays(365)));
        // The fixture configures a one-hour overlap.
        Assert.InRange(oldDescriptor.ExpiresAt!.Value, before.AddHours(1).AddSeconds(-5), DateTimeOffset.UtcNow.AddHours(1).AddSeconds(5));
        Assert.Equal(ApiKeyStatus.Expired, oldDescriptor.StatusAt(DateTimeOffset.UtcNow.AddHours(1).AddMinutes(1)));

        using var again = await owner.PostAsync($"/api/v1/account/keys/{oldId}/rotate", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Suspending_an_account_suspends_every_key_with_the_reason_and_reactivating_restores_them()
    {
        var accountId = await _billing.CreateAccountAsync();
        var (first, _) = await _billing.CreateKeyAsync(accountId, "one");
        var (second, _) = await _billing.CreateKeyAsync(accountId, "two");
        using var admin = _billing.Admin();

        using var suspend = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/status",
            new { status = "suspended", reason = "Hóa đơn tháng 10 chưa thanh toán." });

        Assert.Equal(HttpStatusCode.OK, suspend.StatusCode);
        foreach (var key in new[] { first, second })
        {
            var descriptor = await _billing.DescriptorAsync(key);
            Assert.Equal(ApiKeyStatus.Suspended, descriptor!.Status);
            Assert.Equal("Hóa đơn tháng 10 chưa thanh toán.", descriptor.StatusReason);
        }

        using var restore = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/status", new { status = "active" });
        Assert.Equal(ApiKeyStatus.Active, (await _billing.DescriptorAsync(first))!.Status);
    }

    [Fact]
    public async Task Changing_the_plan_changes_the_limits_in_every_descriptor()
    {
        var accountId = await _billing.CreateAccountAsync(plan: "free");
        var (key, _) = await _billing.CreateKeyAsync(accountId);
        Assert.Equal("free", (await _billing.DescriptorAsync(key))!.Limits.PlanId);

        using var owner = _billing.Owner(accountId);
        using var response = await owner.PutAsJsonAsync("/api/v1/account/subscription/plan", new { planId = "developer" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var limits = (await _billing.DescriptorAsync(key))!.Limits;
        Assert.Equal("developer", limits.PlanId);
        Assert.Equal(2_000_000, limits.MonthlyRequests);
    }

    [Fact]
    public async Task A_partner_subscribing_to_a_product_gets_its_entitlement_in_the_descriptor()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        var (key, _) = await _billing.CreateKeyAsync(accountId);

        using var owner = _billing.Owner(accountId);
        using var response = await owner.PostAsJsonAsync("/api/v1/account/subscription/products", new { productId = "hr-analytics" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(Entitlements.Product("hr-analytics"), (await _billing.DescriptorAsync(key))!.Entitlements);
    }

    [Fact]
    public async Task An_individual_developer_cannot_subscribe_to_a_data_product()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "individual");

        using var owner = _billing.Owner(accountId);
        using var response = await owner.PostAsJsonAsync("/api/v1/account/subscription/products", new { productId = "hr-analytics" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_restricted_dataset_grant_appears_as_a_dataset_entitlement()
    {
        var accountId = await _billing.CreateAccountAsync();
        var (key, _) = await _billing.CreateKeyAsync(accountId);

        using var admin = _billing.Admin();
        using var response = await admin.PutAsync($"/api/v1/admin/accounts/{accountId}/grants/ho-so-can-bo", null);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains(Entitlements.Dataset("ho-so-can-bo"), (await _billing.DescriptorAsync(key))!.Entitlements);
    }

    [Fact]
    public async Task Making_the_owner_a_publisher_gives_every_key_the_publisher_role()
    {
        var accountId = await _billing.CreateAccountAsync();
        using var admin = _billing.Admin();
        var account = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/accounts/{accountId}");
        var userId = account.GetProperty("users")[0].GetProperty("id").GetString()!;
        // Made in the owner's portal session: the gateway names the user, and the key follows that user's roles.
        using var owner = platform.CreateBillingClient(PlatformFixture.Consumer(accountId, Roles.Owner) with { UserId = userId });
        using var created = await owner.PostAsJsonAsync("/api/v1/account/keys", new { name = "publishing" });
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

        using var response = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/users/{userId}/roles", new { roles = new[] { "owner", "publisher" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Roles.Owner, Roles.Publisher], (await _billing.DescriptorAsync(key))!.Roles.Order());
    }

    [Fact]
    public async Task A_key_made_without_a_named_user_never_carries_more_than_the_call_that_made_it()
    {
        var accountId = await _billing.CreateAccountAsync();
        using var admin = _billing.Admin();
        var userId = (await _billing.UsersOfAsync(accountId))[0].GetProperty("id").GetString();
        using var promote = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/users/{userId}/roles", new { roles = new[] { "owner", "publisher" } });
        Assert.Equal(HttpStatusCode.OK, promote.StatusCode);

        // A context with the member role only and no user id, as the gateway signs it for a member's session before it passes user ids on.
        using var member = platform.CreateBillingClient(PlatformFixture.Consumer(accountId, Roles.Member));
        using var created = await member.PostAsJsonAsync("/api/v1/account/keys", new { name = "member's" });

        var descriptor = await _billing.DescriptorAsync((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
        Assert.Empty(descriptor!.Roles.Intersect([Roles.Owner, Roles.Publisher]));
    }

    [Fact]
    public async Task Changing_a_plans_limits_reaches_the_keys_of_accounts_on_it()
    {
        var planId = BillingDriver.UniqueId("agency").ToLowerInvariant();
        using var admin = _billing.Admin();
        object Plan(int burst) => new
        {
            name = "Gói cơ quan",
            burstPerSecond = burst,
            requestsPerMinute = 1_200,
            monthlyRequests = 5_000_000,
            monthlyBytes = 0,
            includedRequests = 200_000,
            includedBytes = 0,
            monthlyFee = 990_000,
            pricePerGb = 0,
            tiers = new object[] { new { upTo = (long?)null, pricePer1000 = 900 } },
            billableStatusClasses = new[] { "2xx" },
        };
        using var created = await admin.PutAsJsonAsync($"/api/v1/admin/plans/{planId}", Plan(30));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var accountId = await _billing.CreateAccountAsync(plan: planId);
        var (key, _) = await _billing.CreateKeyAsync(accountId);
        Assert.Equal(30, (await _billing.DescriptorAsync(key))!.Limits.BurstPerSecond);

        using var changed = await admin.PutAsJsonAsync($"/api/v1/admin/plans/{planId}", Plan(45));

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var limits = (await _billing.DescriptorAsync(key))!.Limits;
        Assert.Equal(planId, limits.PlanId);
        Assert.Equal(45, limits.BurstPerSecond);
    }

    [Fact]
    public async Task A_plan_whose_tiers_fall_below_the_included_requests_is_refused()
    {
        using var admin = _billing.Admin();

        using var response = await admin.PutAsJsonAsync($"/api/v1/admin/plans/{BillingDriver.UniqueId("bad").ToLowerInvariant()}", new
        {
            name = "Sai",
            burstPerSecond = 1,
            requestsPerMinute = 1,
            monthlyRequests = 0,
            monthlyBytes = 0,
            includedRequests = 1_000,
            includedBytes = 0,
            monthlyFee = 0,
            pricePerGb = 0,
            tiers = new[] { new { upTo = 500, pricePer1000 = 10 } },
            billableStatusClasses = new[] { "2xx" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Tiers", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_resync_rewrites_a_descriptor_lost_from_redis()
    {
        var accountId = await _billing.CreateAccountAsync();
        var (key, keyId) = await _billing.CreateKeyAsync(accountId);
        await (await _billing.RedisAsync()).KeyDeleteAsync(RedisKeys.ApiKey(ApiKeyFormat.Hash(key)));

        using var admin = _billing.Admin();
        using var response = await admin.PostAsync("/api/v1/admin/keys/resync", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(keyId, (await _billing.DescriptorAsync(key))!.KeyId);
    }

    [Fact]
    public async Task A_key_without_a_name_is_refused_with_a_problem()
    {
        var accountId = await _billing.CreateAccountAsync();

        using var owner = _billing.Owner(accountId);
        using var response = await owner.PostAsJsonAsync("/api/v1/account/keys", new { name = "" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("name", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_admin_key_endpoints_refuse_a_caller_without_the_admin_role()
    {
        var accountId = await _billing.CreateAccountAsync();

        using var owner = _billing.Owner(accountId);
        using var response = await owner.PostAsJsonAsync($"/api/v1/admin/accounts/{accountId}/keys", new { name = "sneaky" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    async Task<ConcurrentBag<string>> ListenAsync()
    {
        var messages = new ConcurrentBag<string>();
        var subscriber = await _billing.SubscriberAsync();
        await subscriber.SubscribeAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), (_, message) => messages.Add(message!));
        return messages;
    }

    static async Task AssertEventuallyAsync(Func<bool> condition)
    {
        for (var i = 0; i < 50 && !condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class ApiKeyTests_Embedded(BillingEmbeddedFixture platform) : ApiKeyTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class ApiKeyTests_Production(BillingProductionFixture platform) : ApiKeyTests(platform);
