using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.ConsumerContext;

namespace DataPlatform.Billing.Tests.Accounts;

/// <summary>Failed sign-ins lock the address and then the client for a while; signing out ends the session at the gateway.</summary>
public abstract class SignInTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    const string Password = "correct horse battery";
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    /// <summary>A client whose calls come, as the gateway reports it, from an address of its own.</summary>
    HttpClient FromOwnAddress()
    {
        var groups = Guid.NewGuid().ToString("N").Chunk(4).Take(6).Select(c => new string(c));
        return platform.CreateBillingClient(ConsumerContext.Anonymous("2001:db8:" + string.Join(':', groups), DateTimeOffset.UtcNow));
    }

    static Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password) =>
        client.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password });

    [Fact]
    public async Task Five_wrong_passwords_in_a_row_lock_the_address_even_against_the_right_password()
    {
        var email = BillingDriver.UniqueId("khoa") + "@example.vn";
        await AccountTests.SignUpAndConfirmAsync(platform, email, Password);
        using var client = FromOwnAddress();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            using var wrong = await SignInAsync(client, email, "wrong password " + attempt);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var fifth = await SignInAsync(client, email, "wrong password 5");
        using var right = await SignInAsync(client, email, Password);

        Assert.Equal(HttpStatusCode.Locked, fifth.StatusCode);
        Assert.Equal(HttpStatusCode.Locked, right.StatusCode);
        var problem = await right.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("/problems/sign-in-locked", problem.GetProperty("type").GetString());
        var retryAfter = right.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(200), TimeSpan.FromMinutes(5));
        Assert.Equal((long)retryAfter.TotalSeconds, problem.GetProperty("retryAfter").GetInt64());
    }

    [Fact]
    public async Task An_unknown_address_locks_exactly_like_a_registered_one()
    {
        var known = BillingDriver.UniqueId("known") + "@example.vn";
        var unknown = BillingDriver.UniqueId("unknown") + "@example.vn";
        await AccountTests.SignUpAndConfirmAsync(platform, known, Password);
        using var first = FromOwnAddress();
        using var second = FromOwnAddress();

        var statuses = new List<(HttpStatusCode Known, HttpStatusCode Unknown)>();
        for (var attempt = 0; attempt < 6; attempt++)
        {
            using var a = await SignInAsync(first, known, "not the password");
            using var b = await SignInAsync(second, unknown, "not the password");
            statuses.Add((a.StatusCode, b.StatusCode));
        }

        Assert.All(statuses, s => Assert.Equal(s.Known, s.Unknown));
        Assert.Equal(HttpStatusCode.Locked, statuses[^1].Known);
    }

    [Fact]
    public async Task A_successful_sign_in_clears_the_count_of_failures()
    {
        var email = BillingDriver.UniqueId("reset") + "@example.vn";
        await AccountTests.SignUpAndConfirmAsync(platform, email, Password);
        using var client = FromOwnAddress();

        for (var round = 0; round < 2; round++)
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                using var wrong = await SignInAsync(client, email, "wrong");
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            }

            using var right = await SignInAsync(client, email, Password);
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }
    }

    [Fact]
    public async Task One_client_trying_many_addresses_is_told_to_wait_with_429_and_retry_after()
    {
        using var client = FromOwnAddress();
        using var other = FromOwnAddress();
        var statuses = new List<HttpStatusCode>();

        // The fixture allows 8 failures per client address in 15 minutes.
        for (var attempt = 0; attempt < 9; attempt++)
        {
            using var response = await SignInAsync(client, BillingDriver.UniqueId("spray") + "@example.vn", "guess");
            statuses.Add(response.StatusCode);
        }

        using var blocked = await SignInAsync(client, BillingDriver.UniqueId("spray") + "@example.vn", "guess");
        using var elsewhere = await SignInAsync(other, BillingDriver.UniqueId("spray") + "@example.vn", "guess");

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 7), statuses.Take(7));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[7]);
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Equal("/problems/too-many-sign-ins", (await blocked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.InRange(blocked.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
    }

    [Fact]
    public async Task Signing_out_revokes_the_session_key_at_once()
    {
        var email = BillingDriver.UniqueId("signout") + "@example.vn";
        var accountId = await AccountTests.SignUpAndConfirmAsync(platform, email, Password);
        using var client = FromOwnAddress();
        using var signIn = await SignInAsync(client, email, Password);
        var session = await signIn.Content.ReadFromJsonAsync<JsonElement>();
        var key = session.GetProperty("key").GetString()!;
        var keyId = session.GetProperty("keyId").GetString()!;
        var userId = session.GetProperty("userId").GetString()!;
        Assert.Equal(ApiKeyStatus.Active, (await _billing.DescriptorAsync(key))!.Status);

        // As the gateway calls billing for this session: the context names the key and its user.
        using var portal = platform.CreateBillingClient(PlatformFixture.Consumer(accountId, Roles.Owner) with { UserId = userId, KeyId = keyId });
        using var signOut = await portal.PostAsync("/api/v1/account/sign-out", null);
        using var again = await portal.PostAsJsonAsync("/api/v1/account/sign-out", new { keyId });

        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        var descriptor = await _billing.DescriptorAsync(key);
        Assert.Equal(ApiKeyStatus.Revoked, descriptor!.Status);
        Assert.Contains("Sign in again", descriptor.StatusReason);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Signing_out_everywhere_ends_every_session_of_the_user_and_no_one_elses()
    {
        var email = BillingDriver.UniqueId("everywhere") + "@example.vn";
        var accountId = await AccountTests.SignUpAndConfirmAsync(platform, email, Password);
        using var client = FromOwnAddress();
        var sessions = new List<JsonElement>();
        for (var i = 0; i < 2; i++)
        {
            using var signIn = await SignInAsync(client, email, Password);
            sessions.Add(await signIn.Content.ReadFromJsonAsync<JsonElement>());
        }

        var (programKey, _) = await _billing.CreateKeyAsync(accountId, "program");
        using var portal = platform.CreateBillingClient(
            PlatformFixture.Consumer(accountId, Roles.Owner) with { UserId = sessions[0].GetProperty("userId").GetString() });
        using var signOut = await portal.PostAsJsonAsync("/api/v1/account/sign-out", new { everywhere = true });

        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        foreach (var session in sessions)
        {
            Assert.Equal(ApiKeyStatus.Revoked, (await _billing.DescriptorAsync(session.GetProperty("key").GetString()!))!.Status);
        }

        Assert.Equal(ApiKeyStatus.Active, (await _billing.DescriptorAsync(programKey))!.Status);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class SignInTests_Embedded(BillingEmbeddedFixture platform) : SignInTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class SignInTests_Production(BillingProductionFixture platform) : SignInTests(platform);
