using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Billing.Tests.Accounts;

/// <summary>Signing up, confirming the address, signing in to the portal, and the profile the account API shows.</summary>
public abstract partial class AccountTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    [Fact]
    public async Task A_developer_signs_up_confirms_the_emailed_link_and_signs_in_with_a_session_key()
    {
        var email = BillingDriver.UniqueId("lan") + "@example.vn";
        using var client = platform.CreateBillingClient();

        using var signUp = await client.PostAsJsonAsync("/api/v1/account/sign-up",
            new { kind = "individual", email, password = "mật-khẩu-đủ-dài", displayName = "Trần Thị Lan" });
        Assert.Equal(HttpStatusCode.Accepted, signUp.StatusCode);

        using var early = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = "mật-khẩu-đủ-dài" });
        Assert.Equal(HttpStatusCode.Forbidden, early.StatusCode);

        var link = await MailLinkAsync(platform, email, LinkPattern());
        using var confirm = await client.GetAsync(new Uri(link).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);

        using var signIn = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = "mật-khẩu-đủ-dài" });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var session = await signIn.Content.ReadFromJsonAsync<JsonElement>();
        var key = session.GetProperty("key").GetString()!;
        Assert.True(ApiKeyFormat.IsWellFormed(key));
        var descriptor = await _billing.DescriptorAsync(key);
        Assert.Equal(ApiKeyStatus.Active, descriptor!.Status);
        Assert.Equal(session.GetProperty("accountId").GetString(), descriptor.AccountId);
        Assert.Contains(Roles.Owner, descriptor.Roles);
        Assert.Equal("free", descriptor.Limits.PlanId);
        Assert.InRange(descriptor.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddHours(11), DateTimeOffset.UtcNow.AddHours(13));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_without_saying_which_part_was_wrong()
    {
        var email = BillingDriver.UniqueId("minh") + "@example.vn";
        using var client = platform.CreateBillingClient();
        using var signUp = await client.PostAsJsonAsync("/api/v1/account/sign-up",
            new { kind = "individual", email, password = "correct horse battery", displayName = "Minh" });

        using var wrong = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = "wrong horse battery" });
        using var unknown = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email = "nobody-" + email, password = "wrong horse battery" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(
            (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(),
            (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_partner_agency_signs_up_with_its_organisation_and_keeps_its_vietnamese_names()
    {
        var email = BillingDriver.UniqueId("so-noi-vu") + "@example.gov.vn";
        using var client = platform.CreateBillingClient();

        using var signUp = await client.PostAsJsonAsync("/api/v1/account/sign-up", new
        {
            kind = "partner",
            email,
            password = "mật-khẩu-đối-tác",
            displayName = "Phạm Đức Anh",
            organisation = new { name = "Sở Nội vụ tỉnh Quảng Ngãi", taxCode = "4300123456-001", billingContactName = "Lê Thị Hoà", billingContactEmail = "hoa@example.gov.vn" },
        });

        Assert.Equal(HttpStatusCode.Accepted, signUp.StatusCode);
        var accountId = await _billing.AccountIdOfAsync(email);
        using var admin = _billing.Admin();
        var account = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/accounts/{accountId}");
        Assert.Equal("partner", account.GetProperty("kind").GetString());
        Assert.Equal("Sở Nội vụ tỉnh Quảng Ngãi", account.GetProperty("organisation").GetProperty("name").GetString());
        Assert.Equal("4300123456-001", account.GetProperty("organisation").GetProperty("taxCode").GetString());
        Assert.Equal("partner", account.GetProperty("planId").GetString());
        Assert.Equal("pending", account.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_partner_without_a_valid_tax_code_is_refused_with_a_problem_naming_the_field()
    {
        using var client = platform.CreateBillingClient();

        using var response = await client.PostAsJsonAsync("/api/v1/account/sign-up", new
        {
            kind = "partner",
            email = BillingDriver.UniqueId("bad") + "@example.vn",
            password = "long enough password",
            displayName = "X",
            organisation = new { name = "Org", taxCode = "12-AB", billingContactName = "Y", billingContactEmail = "y@example.vn" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("taxCode", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Signing_up_with_a_registered_address_answers_as_for_a_new_one_and_mails_the_holder_a_notice()
    {
        var email = BillingDriver.UniqueId("twice") + "@example.vn";
        using var client = platform.CreateBillingClient();
        await SignUpAsync(client, email);

        using var again = await client.PostAsJsonAsync("/api/v1/account/sign-up",
            new { kind = "individual", email, password = "another long password", displayName = "Someone else" });
        using var fresh = await client.PostAsJsonAsync("/api/v1/account/sign-up",
            new { kind = "individual", email = BillingDriver.UniqueId("fresh") + "@example.vn", password = "another long password", displayName = "Someone new" });

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(fresh.StatusCode, again.StatusCode);
        var repeated = await again.Content.ReadFromJsonAsync<JsonElement>();
        var created = await fresh.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(created.EnumerateObject().Select(p => p.Name), repeated.EnumerateObject().Select(p => p.Name));
        Assert.Equal(created.GetProperty("next").GetString(), repeated.GetProperty("next").GetString());
        var notice = await MailAsync(platform, email, m => m.Contains("which already has an account", StringComparison.Ordinal));
        Assert.DoesNotContain("/api/v1/account/confirm", notice);
        using var admin = _billing.Admin();
        var accounts = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/accounts?email={Uri.EscapeDataString(email)}");
        Assert.Equal(1, accounts.GetArrayLength());
    }

    [Fact]
    public async Task The_account_endpoint_shows_the_profile_of_a_known_account()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");

        using var owner = _billing.Owner(accountId);
        var caller = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account");

        Assert.Equal(accountId, caller.GetProperty("accountId").GetString());
        var profile = caller.GetProperty("profile");
        Assert.Equal("Sở Nội vụ tỉnh Thử Nghiệm", profile.GetProperty("organisation").GetProperty("name").GetString());
        Assert.Equal("partner", profile.GetProperty("planId").GetString());
    }

    [Fact]
    public async Task The_account_endpoint_answers_from_the_context_for_an_account_billing_does_not_know()
    {
        using var client = platform.CreateBillingClient(PlatformFixture.Consumer(BillingDriver.UniqueId("acct-unknown"), Roles.Member));

        var caller = await client.GetFromJsonAsync<JsonElement>("/api/v1/account");

        Assert.StartsWith("acct-unknown", caller.GetProperty("accountId").GetString());
        Assert.False(caller.TryGetProperty("profile", out var profile) && profile.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task The_plans_are_listed_with_prices_in_whole_dong()
    {
        using var client = platform.CreateBillingClient();

        var plans = await client.GetFromJsonAsync<JsonElement>("/api/v1/account/plans");

        var ids = plans.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.Equal(["free", "developer", "partner"], ids);
        Assert.All(plans.EnumerateArray(), p => Assert.Equal(JsonValueKind.Number, p.GetProperty("monthlyFee").ValueKind));
    }

    internal static async Task SignUpAsync(HttpClient client, string email, string password = "long enough password")
    {
        using var response = await client.PostAsJsonAsync("/api/v1/account/sign-up", new { kind = "individual", email, password, displayName = "Người dùng thử" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>Signs up, opens the mailed confirmation link and returns the account id.</summary>
    internal static async Task<string> SignUpAndConfirmAsync(BillingPlatformFixture platform, string email, string password = "long enough password")
    {
        using var client = platform.CreateBillingClient();
        await SignUpAsync(client, email, password);
        var link = await MailLinkAsync(platform, email, LinkPattern());
        using var confirm = await client.GetAsync(new Uri(link).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        return (await confirm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accountId").GetString()!;
    }

    /// <summary>The first link matching <paramref name="pattern"/> in a message to <paramref name="email"/>, read as a person reads their mailbox.</summary>
    internal static async Task<string> MailLinkAsync(BillingPlatformFixture platform, string email, Regex pattern) =>
        pattern.Match(await MailAsync(platform, email, m => pattern.IsMatch(m))).Value;

    internal static async Task<string> MailAsync(BillingPlatformFixture platform, string email, Func<string, bool> matches)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (Directory.Exists(platform.MailDirectory))
            {
                foreach (var file in Directory.GetFiles(platform.MailDirectory, "*.eml"))
                {
                    var message = await File.ReadAllTextAsync(file);
                    if (message.Contains(email, StringComparison.OrdinalIgnoreCase) && matches(message))
                    {
                        return message;
                    }
                }
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"No matching e-mail to {email} arrived in {platform.MailDirectory}.");
    }

    [GeneratedRegex(@"https?://\S+/api/v1/account/confirm\?token=[A-Za-z0-9_%\-]+")]
    internal static partial Regex LinkPattern();
}

[Collection(EmbeddedCollection.Name)]
public sealed class AccountTests_Embedded(BillingEmbeddedFixture platform) : AccountTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class AccountTests_Production(BillingProductionFixture platform) : AccountTests(platform);
