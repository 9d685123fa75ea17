using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataPlatform.Contracts.Access;
using Microsoft.Playwright;

namespace DataPlatform.Portal.Tests.Support;

/// <summary>Developer accounts for the portal's tests: their mail, opened as a person opens their inbox, and signing in.</summary>
public static partial class Accounts
{
    public const string Password = "mật-khẩu-đủ-dài-2026";

    public static string UniqueEmail(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10] + "@example.vn";

    /// <summary>The first link matching <paramref name="pattern"/> in a message to <paramref name="email"/> in the mail folder.</summary>
    public static async Task<string> MailLinkAsync(PortalPlatformFixture platform, string email, Regex pattern)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (Directory.Exists(platform.MailDirectory))
            {
                foreach (var file in Directory.GetFiles(platform.MailDirectory, "*.eml"))
                {
                    var message = await File.ReadAllTextAsync(file);
                    if (message.Contains(email, StringComparison.OrdinalIgnoreCase) && pattern.Match(message) is { Success: true } match)
                    {
                        return match.Value;
                    }
                }
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"No matching e-mail to {email} arrived in {platform.MailDirectory}.");
    }

    /// <summary>Opens and confirms an account through the public API, as a program would, for tests about what comes after.</summary>
    public static async Task OpenAsync(PortalPlatformFixture platform, string email)
    {
        using var client = platform.CreateGatewayClient();
        using var signUp = await client.PostAsJsonAsync("/api/v1/account/sign-up",
            new { kind = "individual", email, password = Password, displayName = "Nguyễn Văn Thử" });
        Assert.Equal(HttpStatusCode.Accepted, signUp.StatusCode);
        var link = await MailLinkAsync(platform, email, ConfirmationPage());
        using var confirm = await client.GetAsync("/api/v1/account/confirm" + new Uri(link).Query);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
    }

    /// <summary>Signs in on the portal's page; the browser lands on the dashboard.</summary>
    public static async Task SignInAsync(IPage page, string email, string password = Password)
    {
        await page.GotoAsync("/account/signin");
        await page.GetByLabel("Địa chỉ e-mail").Or(page.GetByLabel("E-mail address")).FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("main button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**/account");
    }

    /// <summary>Reads the gateway's counters into billing's ledger until the account's month shows at least <paramref name="requests"/> requests.</summary>
    public static async Task<long> HarvestUntilAsync(PortalPlatformFixture platform, string email, long requests)
    {
        using var admin = platform.CreateBillingClient(PlatformFixture.Consumer("acct-portal-test-admin", Roles.Admin));
        var accounts = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/accounts?email={Uri.EscapeDataString(email)}");
        var accountId = accounts.EnumerateArray().Single().GetProperty("id").GetString();
        long seen = 0;
        for (var attempt = 0; attempt < 60; attempt++)
        {
            // The gateway flushes its counters every second; a harvest is idempotent.
            (await admin.PostAsync("/api/v1/admin/usage/harvest", null)).Dispose();
            var usage = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/accounts/{accountId}/usage");
            seen = usage.GetProperty("requests").GetInt64();
            if (seen >= requests)
            {
                return seen;
            }

            await Task.Delay(500);
        }

        throw new Xunit.Sdk.XunitException($"The ledger shows {seen} requests, not the {requests} expected.");
    }

    /// <summary>The portal's confirmation page in the mail (the mail also gives the API's link, for programs).</summary>
    [GeneratedRegex(@"https?://[^/\s]+/account/confirm\?token=[A-Za-z0-9_%\-]+")]
    public static partial Regex ConfirmationPage();

    [GeneratedRegex(@"https?://[^/\s]+/account/reset-password\?token=[A-Za-z0-9_%\-]+")]
    public static partial Regex ResetPage();
}

/// <summary>A developer with a key that programs have used, for the pages that show keys and usage.</summary>
public static class UsedAccount
{
    /// <summary>Opens an account, makes a key through the API, calls the API <paramref name="calls"/> times with it and harvests the calls.</summary>
    public static async Task<string> CreateAsync(PortalPlatformFixture platform, int calls)
    {
        var email = Accounts.UniqueEmail("bang");
        await Accounts.OpenAsync(platform, email);
        using var client = platform.CreateGatewayClient();
        using var signIn = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = Accounts.Password });
        var session = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/account/keys") { Content = JsonContent.Create(new { name = "báo cáo tuần" }) };
        create.Headers.Add("X-Api-Key", session);
        using var created = await client.SendAsync(create);
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        for (var call = 0; call < calls; call++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/datasets?limit=1");
            request.Headers.Add("X-Api-Key", key);
            (await client.SendAsync(request)).Dispose();
        }

        await Accounts.HarvestUntilAsync(platform, email, calls);
        return email;
    }
}
