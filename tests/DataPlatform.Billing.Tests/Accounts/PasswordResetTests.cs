using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Billing.Tests.Accounts;

/// <summary>
/// A person who forgot their password asks for a link by e-mail and chooses a new one. The link works once; the
/// answer to the request does not say whether the address has an account.
/// </summary>
public abstract partial class PasswordResetTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    const string OldPassword = "mật-khẩu-cũ-đủ-dài";
    const string NewPassword = "mật-khẩu-mới-đủ-dài";
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    [Fact]
    public async Task A_user_sets_a_new_password_through_the_mailed_link_and_the_link_works_only_once()
    {
        var email = BillingDriver.UniqueId("quen") + "@example.vn";
        await AccountTests.SignUpAndConfirmAsync(platform, email, OldPassword);
        using var client = platform.CreateBillingClient();
        using var signIn = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = OldPassword });
        var session = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

        using var request = await client.PostAsJsonAsync("/api/v1/account/password-reset", new { email });
        Assert.Equal(HttpStatusCode.Accepted, request.StatusCode);
        var token = await ResetTokenAsync(email);
        using var complete = await client.PostAsJsonAsync("/api/v1/account/password-reset/complete", new { token, password = NewPassword });
        using var again = await client.PostAsJsonAsync("/api/v1/account/password-reset/complete", new { token, password = "a third long password" });
        using var withOld = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = OldPassword });
        using var withNew = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = NewPassword });

        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("/problems/password-reset-invalid", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
        // The sessions opened with the old password end at the gateway.
        Assert.Equal(ApiKeyStatus.Revoked, (await _billing.DescriptorAsync(session))!.Status);
    }

    [Fact]
    public async Task Asking_for_a_reset_answers_the_same_for_an_unknown_address_and_mails_no_one()
    {
        var known = BillingDriver.UniqueId("biet") + "@example.vn";
        var unknown = BillingDriver.UniqueId("la") + "@example.vn";
        await AccountTests.SignUpAndConfirmAsync(platform, known, OldPassword);
        using var client = platform.CreateBillingClient();

        using var forKnown = await client.PostAsJsonAsync("/api/v1/account/password-reset", new { email = known });
        using var forUnknown = await client.PostAsJsonAsync("/api/v1/account/password-reset", new { email = unknown });

        Assert.Equal(HttpStatusCode.Accepted, forKnown.StatusCode);
        Assert.Equal(forKnown.StatusCode, forUnknown.StatusCode);
        var a = await forKnown.Content.ReadFromJsonAsync<JsonElement>();
        var b = await forUnknown.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("next").GetString(), b.GetProperty("next").GetString());
        Assert.Equal(unknown, b.GetProperty("email").GetString());
        await ResetTokenAsync(known);
        Assert.DoesNotContain(Directory.GetFiles(platform.MailDirectory, "*.eml"),
            file => File.ReadAllText(file).Contains(unknown, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_made_up_token_or_a_short_password_is_refused_and_the_password_stays()
    {
        var email = BillingDriver.UniqueId("doan") + "@example.vn";
        await AccountTests.SignUpAndConfirmAsync(platform, email, OldPassword);
        using var client = platform.CreateBillingClient();
        using var request = await client.PostAsJsonAsync("/api/v1/account/password-reset", new { email });
        var token = await ResetTokenAsync(email);

        using var madeUp = await client.PostAsJsonAsync("/api/v1/account/password-reset/complete", new { token = "x" + token[1..], password = NewPassword });
        using var tooShort = await client.PostAsJsonAsync("/api/v1/account/password-reset/complete", new { token, password = "short" });
        using var badEmail = await client.PostAsJsonAsync("/api/v1/account/password-reset", new { email = "not an address" });
        using var withOld = await client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = OldPassword });

        Assert.Equal(HttpStatusCode.BadRequest, madeUp.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badEmail.StatusCode);
        Assert.Equal("application/problem+json", madeUp.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, withOld.StatusCode);
        // The token survived the refused attempts: it still works once.
        using var complete = await client.PostAsJsonAsync("/api/v1/account/password-reset/complete", new { token, password = NewPassword });
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
    }

    /// <summary>The token of the reset link mailed to <paramref name="email"/>, read from the mailbox.</summary>
    async Task<string> ResetTokenAsync(string email)
    {
        var link = await AccountTests.MailLinkAsync(platform, email, ResetLinkPattern());
        return Uri.UnescapeDataString(new Uri(link).Query["?token=".Length..]);
    }

    [GeneratedRegex(@"https?://\S+/account/reset-password\?token=[A-Za-z0-9_%\-]+")]
    private static partial Regex ResetLinkPattern();
}

[Collection(EmbeddedCollection.Name)]
public sealed class PasswordResetTests_Embedded(BillingEmbeddedFixture platform) : PasswordResetTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PasswordResetTests_Production(BillingProductionFixture platform) : PasswordResetTests(platform);
