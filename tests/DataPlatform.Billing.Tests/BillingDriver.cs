using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Billing.Tests;

/// <summary>What billing's tests do again and again: open accounts as an admin, act as their owners, read Redis.</summary>
public sealed class BillingDriver(BillingPlatformFixture platform) : IAsyncDisposable
{
    readonly Lazy<Task<ConnectionMultiplexer>> _redis = new(() => ConnectionMultiplexer.ConnectAsync(platform.Platform.RedisConnectionString));

    public BillingPlatformFixture Platform => platform;

    public HttpClient Admin() => platform.CreateBillingClient(PlatformFixture.Consumer("acct-test-admin", Roles.Admin));

    public HttpClient Owner(string accountId) => platform.CreateBillingClient(PlatformFixture.Consumer(accountId, Roles.Owner));

    public static string UniqueId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Opens an account through the admin API and returns its id.</summary>
    public async Task<string> CreateAccountAsync(string kind = "individual", string plan = "developer")
    {
        using var admin = Admin();
        object body = kind == "partner"
            ? new
            {
                kind,
                name = "Sở Nội vụ thử nghiệm",
                ownerEmail = UniqueId("partner") + "@example.vn",
                planId = plan,
                organisation = new { name = "Sở Nội vụ tỉnh Thử Nghiệm", taxCode = "0101234567", billingContactName = "Nguyễn Thị Kế Toán", billingContactEmail = "ketoan@example.vn" },
            }
            : new { kind, name = "Nguyễn Văn Lập Trình", ownerEmail = UniqueId("dev") + "@example.vn", planId = plan };
        using var response = await admin.PostAsJsonAsync("/api/v1/admin/accounts", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>Creates a key for the account as its owner; returns the key and its id.</summary>
    public async Task<(string Key, string KeyId)> CreateKeyAsync(string accountId, string name = "test key", DateTimeOffset? expiresAt = null)
    {
        using var owner = Owner(accountId);
        using var response = await owner.PostAsJsonAsync("/api/v1/account/keys", new { name, expiresAt });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (issued.GetProperty("key").GetString()!, issued.GetProperty("details").GetProperty("id").GetString()!);
    }

    /// <summary>The id of the account whose user has <paramref name="email"/>, as an admin finds it.</summary>
    public async Task<string> AccountIdOfAsync(string email)
    {
        using var admin = Admin();
        var accounts = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/accounts?email={Uri.EscapeDataString(email)}");
        return accounts.EnumerateArray().Single().GetProperty("id").GetString()!;
    }

    /// <summary>The account's users as an admin sees them.</summary>
    public async Task<JsonElement> UsersOfAsync(string accountId)
    {
        using var admin = Admin();
        return (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/accounts/{accountId}")).GetProperty("users");
    }

    public async Task<IDatabase> RedisAsync() => (await _redis.Value).GetDatabase();

    public async Task<ISubscriber> SubscriberAsync() => (await _redis.Value).GetSubscriber();

    /// <summary>The descriptor the gateway would read for <paramref name="key"/>.</summary>
    public async Task<ApiKeyDescriptor?> DescriptorAsync(string key) =>
        ContractJson.Deserialize<ApiKeyDescriptor>(await (await RedisAsync()).StringGetAsync(RedisKeys.ApiKey(ApiKeyFormat.Hash(key))));

    public async ValueTask DisposeAsync()
    {
        if (_redis.IsValueCreated)
        {
            (await _redis.Value).Dispose();
        }
    }
}
