using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPlatform.Billing.Tests.Accounts;

/// <summary>
/// One account trying every id of another account that the account endpoints take: keys, invoices, members,
/// invitations and subscribed products. Each attempt is answered 404, the answer an unknown id gets, so ids do
/// not even reveal that they exist; and the other account is left exactly as it was. The attacker calls as its
/// owner, both straight to billing and through the gateway with its own API key.
/// </summary>
public abstract class CrossAccountTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    /// <summary>What account A has that account B might go after.</summary>
    sealed record Victim(string AccountId, string Key, string KeyId, string OwnerUserId, string InvitationId, string InvoiceId, string ProductId);

    async Task<Victim> CreateVictimAsync()
    {
        var accountId = await _billing.CreateAccountAsync("partner", "partner");
        var (key, keyId) = await _billing.CreateKeyAsync(accountId, "A's key");
        using var owner = _billing.Owner(accountId);
        using (var product = await owner.PostAsJsonAsync("/api/v1/account/subscription/products", new { productId = "hr-analytics" }))
        {
            Assert.Equal(HttpStatusCode.OK, product.StatusCode);
        }

        using var invited = await owner.PostAsJsonAsync("/api/v1/account/members/invitations", new { email = BillingDriver.UniqueId("moi") + "@example.vn", role = "member" });
        Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        var invitationId = (await invited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var invoice = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/invoices/current");
        var ownerUserId = (await _billing.UsersOfAsync(accountId)).EnumerateArray().Single().GetProperty("id").GetString()!;
        return new Victim(accountId, key, keyId, ownerUserId, invitationId, invoice.GetProperty("id").GetString()!, "hr-analytics");
    }

    /// <summary>Everything about A that B's attempts could change, as A's owner and an admin see it.</summary>
    async Task<string> SnapshotAsync(Victim victim)
    {
        using var owner = _billing.Owner(victim.AccountId);
        var keys = await owner.GetStringAsync("/api/v1/account/keys");
        var members = await owner.GetStringAsync("/api/v1/account/members");
        var subscription = await owner.GetStringAsync("/api/v1/account/subscription");
        var invoices = await owner.GetStringAsync("/api/v1/account/invoices");
        var users = (await _billing.UsersOfAsync(victim.AccountId)).GetRawText();
        var descriptor = await _billing.DescriptorAsync(victim.Key);
        return string.Join("\n", keys, members, subscription, invoices, users,
            $"{descriptor?.Status} {string.Join(",", descriptor?.Entitlements ?? [])} {string.Join(",", descriptor?.Roles ?? [])}");
    }

    static IEnumerable<(HttpMethod Method, string Path, object? Body)> Attempts(Victim a) =>
    [
        (HttpMethod.Post, $"/api/v1/account/keys/{a.KeyId}/rotate", null),
        (HttpMethod.Delete, $"/api/v1/account/keys/{a.KeyId}", null),
        (HttpMethod.Get, $"/api/v1/account/invoices/{a.InvoiceId}", null),
        (HttpMethod.Get, $"/api/v1/account/invoices/{a.InvoiceId}/html", null),
        (HttpMethod.Put, $"/api/v1/account/members/{a.OwnerUserId}/role", new { role = "member" }),
        (HttpMethod.Delete, $"/api/v1/account/members/{a.OwnerUserId}", null),
        (HttpMethod.Delete, $"/api/v1/account/members/invitations/{a.InvitationId}", null),
        (HttpMethod.Delete, $"/api/v1/account/subscription/products/{a.ProductId}", null),
    ];

    [Fact]
    public async Task Another_accounts_ids_are_not_found_and_nothing_of_theirs_changes()
    {
        var a = await CreateVictimAsync();
        var b = await _billing.CreateAccountAsync("partner", "partner");
        var before = await SnapshotAsync(a);
        using var attacker = _billing.Owner(b);

        foreach (var (method, path, body) in Attempts(a))
        {
            await AssertNotFoundLikeAnUnknownIdAsync(attacker, method, path, body, a);
        }

        Assert.Equal(before, await SnapshotAsync(a));
    }

    [Fact]
    public async Task Through_the_gateway_with_its_own_key_another_accounts_ids_are_not_found_and_nothing_changes()
    {
        var a = await CreateVictimAsync();
        var b = await _billing.CreateAccountAsync("partner", "partner");
        var (bKey, _) = await _billing.CreateKeyAsync(b, "B's key");
        var before = await SnapshotAsync(a);
        using var attacker = platform.CreateGatewayClient();
        attacker.DefaultRequestHeaders.Add("X-Api-Key", bKey);

        foreach (var (method, path, body) in Attempts(a))
        {
            await AssertNotFoundLikeAnUnknownIdAsync(attacker, method, path, body, a);
        }

        Assert.Equal(before, await SnapshotAsync(a));
    }

    [Fact]
    public async Task Naming_another_account_in_the_query_string_reports_only_ones_own_usage_invoices_and_keys()
    {
        var a = await CreateVictimAsync();
        var b = await _billing.CreateAccountAsync("partner", "partner");
        using var attacker = _billing.Owner(b);

        var usage = await attacker.GetFromJsonAsync<JsonElement>($"/api/v1/account/usage?accountId={a.AccountId}");
        var invoices = await attacker.GetStringAsync($"/api/v1/account/invoices?accountId={a.AccountId}");
        var keys = await attacker.GetStringAsync($"/api/v1/account/keys?accountId={a.AccountId}");
        var members = await attacker.GetStringAsync($"/api/v1/account/members?accountId={a.AccountId}");
        var subscription = await attacker.GetStringAsync($"/api/v1/account/subscription?accountId={a.AccountId}");

        Assert.Equal(b, usage.GetProperty("accountId").GetString());
        foreach (var body in new[] { invoices, keys, members, subscription })
        {
            Assert.DoesNotContain(a.AccountId, body);
            Assert.DoesNotContain(a.KeyId, body);
            Assert.DoesNotContain(a.InvoiceId, body);
            Assert.DoesNotContain(a.OwnerUserId, body);
        }
    }

    [Fact]
    public async Task An_owner_is_refused_the_admin_endpoints_alike_for_another_accounts_id_and_an_unknown_one()
    {
        var a = await CreateVictimAsync();
        var b = await _billing.CreateAccountAsync("partner", "partner");
        var before = await SnapshotAsync(a);
        using var attacker = _billing.Owner(b);

        foreach (var template in new[]
        {
            "/api/v1/admin/accounts/{0}", "/api/v1/admin/accounts/{0}/keys", "/api/v1/admin/accounts/{0}/usage",
            "/api/v1/admin/accounts/{0}/subscription", "/api/v1/admin/invoices/{1}",
        })
        {
            using var real = await attacker.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, a.AccountId, a.InvoiceId));
            using var unknown = await attacker.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, "acct-khong-co", "inv-khong-co"));
            Assert.Equal(HttpStatusCode.Forbidden, real.StatusCode);
            Assert.Equal(unknown.StatusCode, real.StatusCode);
            Assert.Equal(await DetailAsync(unknown), await DetailAsync(real));
        }

        using var revoke = await attacker.DeleteAsync($"/api/v1/admin/accounts/{a.AccountId}/keys/{a.KeyId}");
        Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
        Assert.Equal(before, await SnapshotAsync(a));
    }

    /// <summary>
    /// The attempt on A's id gets 404 with a problem body that names nothing of A's, and the same status and
    /// title as the attempt on an id that does not exist.
    /// </summary>
    static async Task AssertNotFoundLikeAnUnknownIdAsync(HttpClient attacker, HttpMethod method, string path, object? body, Victim a)
    {
        using var real = await SendAsync(attacker, method, path, body);
        var unknownPath = path.Replace(a.KeyId, "key-khong-co").Replace(a.InvoiceId, "inv-khong-co").Replace(a.OwnerUserId, "usr-khong-co")
            .Replace(a.InvitationId, "inv-khong-co").Replace(a.ProductId, "san-pham-khong-co");
        using var unknown = await SendAsync(attacker, method, unknownPath, body);

        var text = await real.Content.ReadAsStringAsync();
        Assert.True(real.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)real.StatusCode} {text}");
        Assert.Equal("application/problem+json", real.Content.Headers.ContentType?.MediaType);
        Assert.Equal(unknown.StatusCode, real.StatusCode);
        var problem = JsonDocument.Parse(text).RootElement;
        var unknownProblem = await unknown.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(unknownProblem.GetProperty("title").GetString(), problem.GetProperty("title").GetString());
        Assert.DoesNotContain(a.AccountId, text);
    }

    static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return client.SendAsync(request);
    }

    static async Task<string?> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
}

[Collection(EmbeddedCollection.Name)]
public sealed class CrossAccountTests_Embedded(BillingEmbeddedFixture platform) : CrossAccountTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class CrossAccountTests_Production(BillingProductionFixture platform) : CrossAccountTests(platform);
