using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;

namespace DataPlatform.Platform.Tests.EndToEnd;

/// <summary>
/// A team through the gateway with real keys: the owner signs up and invites a colleague; the colleague joins, signs in
/// and looks after keys of their own, sees none of the owner's, may not change the plan, and signing out ends the
/// session. Billing learns which member calls only from the user and key ids the gateway signs into the context.
/// </summary>
public abstract partial class MemberFlowTests(PlatformFixture platform)
{
    const string OwnerPassword = "mật-khẩu-chủ-tài-khoản-2026";
    const string MemberPassword = "mật-khẩu-nhân-viên-2026";

    [Fact]
    public async Task A_member_manages_only_their_own_keys_may_not_change_the_plan_and_signing_out_ends_the_session()
    {
        var unique = Guid.NewGuid().ToString("N");
        var ownerEmail = $"truongphong-{unique}@snv-binhdinh.gov.vn";
        var memberEmail = $"nhanvien-{unique}@snv-binhdinh.gov.vn";
        using var anonymous = platform.CreateGatewayClient();

        // The owner signs up, confirms from the mail and signs in.
        using (var signUp = await anonymous.PostAsJsonAsync("/api/v1/account/sign-up", new
        {
            kind = "partner",
            email = ownerEmail,
            password = OwnerPassword,
            displayName = "Nguyễn Thị Hương",
            organisation = new
            {
                name = "Sở Nội vụ tỉnh Bình Định",
                taxCode = "4100123456",
                billingContactName = "Nguyễn Thị Hương",
                billingContactEmail = ownerEmail,
            },
        }))
        {
            Assert.Equal(HttpStatusCode.Accepted, signUp.StatusCode);
        }

        using (var confirm = await anonymous.GetAsync("/api/v1/account/confirm?token=" + await MailedTokenAsync(ownerEmail, ConfirmationLink())))
        {
            Assert.True(confirm.IsSuccessStatusCode, await confirm.Content.ReadAsStringAsync());
        }

        var ownerSession = await SignInAsync(anonymous, ownerEmail, OwnerPassword);
        Assert.Equal(["owner"], ownerSession.Roles);
        using var owner = ClientWith(ownerSession.Key);
        var ownersKey = await CreateKeyAsync(owner, "ETL của trưởng phòng");

        // The owner invites a colleague, who accepts through the link in the mail.
        using (var invite = await owner.PostAsJsonAsync("/api/v1/account/members/invitations", new { email = memberEmail }))
        {
            Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        }

        var invitation = await MailedTokenAsync(memberEmail, InvitationLink());
        var accepted = await ReadJsonAsync(await anonymous.PostAsJsonAsync("/api/v1/account/invitations/accept", new
        {
            token = invitation,
            displayName = "Trần Văn Nhân",
            password = MemberPassword,
        }));
        Assert.Equal(ownerSession.AccountId, accepted.GetProperty("accountId").GetString());

        // The member signs in through the gateway; billing knows who is calling.
        var memberSession = await SignInAsync(anonymous, memberEmail, MemberPassword);
        Assert.Equal(["member"], memberSession.Roles);
        Assert.Equal(ownerSession.AccountId, memberSession.AccountId);
        using var member = ClientWith(memberSession.Key);
        var caller = await ReadJsonAsync(await member.GetAsync("/api/v1/account"));
        Assert.Equal(memberSession.UserId, caller.GetProperty("userId").GetString());

        // A key the member makes is theirs, and the list shows only their keys, none of the owner's.
        var membersKey = await CreateKeyAsync(member, "báo cáo tuần");
        Assert.Equal(memberSession.UserId, membersKey.Details.GetProperty("userId").GetString());
        var listed = (await ReadJsonAsync(await member.GetAsync("/api/v1/account/keys"))).EnumerateArray().ToList();
        Assert.Equal(
            new[] { memberSession.KeyId, membersKey.Id }.Order(),
            listed.Select(k => k.GetProperty("id").GetString()!).Order());
        Assert.All(listed, k => Assert.Equal(memberSession.UserId, k.GetProperty("userId").GetString()));
        Assert.DoesNotContain(listed, k => k.GetProperty("id").GetString() == ownersKey.Id || k.GetProperty("id").GetString() == ownerSession.KeyId);

        // The member may not touch the owner's key, but the owner sees the member's.
        using (var foreign = await member.DeleteAsync($"/api/v1/account/keys/{ownersKey.Id}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        }

        var ownerList = (await ReadJsonAsync(await owner.GetAsync("/api/v1/account/keys"))).EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToList();
        Assert.Contains(membersKey.Id, ownerList);
        Assert.Contains(ownersKey.Id, ownerList);

        // The member's key works at the gateway; rotating gives a working successor; revoking it stops it at once.
        using (var withKey = ClientWith(membersKey.Key))
        {
            var asKey = await ReadJsonAsync(await withKey.GetAsync("/api/v1/account"));
            Assert.Equal(memberSession.UserId, asKey.GetProperty("userId").GetString());
            Assert.Equal(["member"], asKey.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        }

        var rotated = await ReadJsonAsync(await member.PostAsync($"/api/v1/account/keys/{membersKey.Id}/rotate", null));
        var successorKey = rotated.GetProperty("key").GetString()!;
        var successorId = rotated.GetProperty("details").GetProperty("id").GetString()!;
        Assert.NotEqual(membersKey.Key, successorKey);
        Assert.NotEqual(membersKey.Id, successorId);
        using var successor = ClientWith(successorKey);
        using (var works = await successor.GetAsync("/api/v1/account/keys"))
        {
            Assert.Equal(HttpStatusCode.OK, works.StatusCode);
        }

        var revoked = await ReadJsonAsync(await member.DeleteAsync($"/api/v1/account/keys/{successorId}"));
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());
        await AssertRefusedAsync(successor, GatewayProblemTypes.RevokedApiKey);

        // Changing the plan is the owner's; the member gets a problem saying so, and the plan stays as it was.
        var planBefore = (await ReadJsonAsync(await owner.GetAsync("/api/v1/account"))).GetProperty("plan").GetString();
        using (var change = await member.PutAsJsonAsync("/api/v1/account/subscription/plan", new { planId = "developer" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, change.StatusCode);
            Assert.Equal("application/problem+json", change.Content.Headers.ContentType?.MediaType);
            var problem = await ReadJsonAsync(change);
            Assert.Equal(403, problem.GetProperty("status").GetInt32());
            Assert.Contains("owner", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(planBefore, (await ReadJsonAsync(await owner.GetAsync("/api/v1/account"))).GetProperty("plan").GetString());

        // Signing out with the session key alone (no key id in the body) ends that session and no other.
        using (var signOut = await member.PostAsJsonAsync("/api/v1/account/sign-out", new { }))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }

        await AssertRefusedAsync(member, GatewayProblemTypes.RevokedApiKey);
        using (var ownerStillIn = await owner.GetAsync("/api/v1/account/keys"))
        {
            Assert.Equal(HttpStatusCode.OK, ownerStillIn.StatusCode);
        }
    }

    HttpClient ClientWith(string key)
    {
        var client = platform.CreateGatewayClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", key);
        return client;
    }

    static async Task<Session> SignInAsync(HttpClient gateway, string email, string password)
    {
        var body = await ReadJsonAsync(await gateway.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password }));
        var key = body.GetProperty("key").GetString()!;
        Assert.True(ApiKeyFormat.IsWellFormed(key));
        return new Session(
            key, body.GetProperty("keyId").GetString()!, body.GetProperty("accountId").GetString()!, body.GetProperty("userId").GetString()!,
            body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToList());
    }

    static async Task<IssuedKey> CreateKeyAsync(HttpClient client, string name)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/account/keys", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await ReadJsonAsync(response);
        var details = body.GetProperty("details");
        Assert.Equal(name, details.GetProperty("name").GetString());
        return new IssuedKey(body.GetProperty("key").GetString()!, details.GetProperty("id").GetString()!, details);
    }

    /// <summary>The gateway refuses the key once billing's invalidation arrives, which is at once but not in the same call.</summary>
    static async Task AssertRefusedAsync(HttpClient client, string problemType)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            using var response = await client.GetAsync("/api/v1/account");
            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                Assert.Equal(problemType, (await ReadJsonAsync(response)).GetProperty("type").GetString());
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The key still works: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(100);
        }
    }

    async Task<string> MailedTokenAsync(string email, Regex link)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (Directory.Exists(platform.MailDirectory))
            {
                foreach (var file in Directory.GetFiles(platform.MailDirectory, "*.eml"))
                {
                    var message = await File.ReadAllTextAsync(file);
                    if (message.Contains(email, StringComparison.OrdinalIgnoreCase) && link.Match(message) is { Success: true } match)
                    {
                        return match.Groups[1].Value;
                    }
                }
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"No mail with a link to {email} arrived in {platform.MailDirectory}.");
    }

    static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode || (int)response.StatusCode is >= 400 and < 500, body);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    sealed record Session(string Key, string KeyId, string AccountId, string UserId, IReadOnlyList<string> Roles);

    sealed record IssuedKey(string Key, string Id, JsonElement Details);

    [GeneratedRegex(@"/api/v1/account/confirm\?token=([A-Za-z0-9_%\-]+)")]
    private static partial Regex ConfirmationLink();

    [GeneratedRegex(@"/api/v1/account/invitations\?token=([A-Za-z0-9_%\-]+)")]
    private static partial Regex InvitationLink();
}

[Collection(EmbeddedCollection.Name)]
public sealed class MemberFlowTests_Embedded(EmbeddedPlatformFixture platform) : MemberFlowTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class MemberFlowTests_Production(ProductionPlatformFixture platform) : MemberFlowTests(platform);
