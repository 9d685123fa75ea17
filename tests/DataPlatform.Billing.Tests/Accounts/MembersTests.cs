using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Billing.Tests.Accounts;

/// <summary>
/// Owners invite people by e-mail, change their roles and remove them; members use the account within their role,
/// and the keys of each person carry that person's roles as they stand now.
/// </summary>
public abstract partial class MembersTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    const string Password = "mật-khẩu-thành-viên";
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    /// <summary>A client acting as one user of the account, as the gateway calls billing for that user's session.</summary>
    HttpClient As(string accountId, string userId, params string[] roles) =>
        platform.CreateBillingClient(PlatformFixture.Consumer(accountId, roles) with { UserId = userId });

    async Task<(string AccountId, string OwnerId)> PartnerAsync()
    {
        var accountId = await _billing.CreateAccountAsync(kind: "partner", plan: "partner");
        return (accountId, (await _billing.UsersOfAsync(accountId))[0].GetProperty("id").GetString()!);
    }

    /// <summary>The owner invites <paramref name="email"/>; the invitee follows the mailed link and joins. Returns the new user's id.</summary>
    async Task<string> InviteAndAcceptAsync(string accountId, string ownerId, string email, string role = "member")
    {
        using var owner = As(accountId, ownerId, Roles.Owner);
        using var invite = await owner.PostAsJsonAsync("/api/v1/account/members/invitations", new { email, role });
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var token = await InvitationTokenAsync(email);
        using var anonymous = platform.CreateBillingClient();
        using var accept = await anonymous.PostAsJsonAsync("/api/v1/account/invitations/accept", new { token, displayName = "Đỗ Thị Thành Viên", password = Password });
        Assert.Equal(HttpStatusCode.Created, accept.StatusCode);
        return (await accept.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("userId").GetString()!;
    }

    async Task<string> InvitationTokenAsync(string email)
    {
        var link = await AccountTests.MailLinkAsync(platform, email, InvitationLink());
        return Uri.UnescapeDataString(new Uri(link).Query["?token=".Length..]);
    }

    [Fact]
    public async Task An_invited_person_follows_the_mailed_link_joins_as_a_member_and_signs_in_with_the_member_role()
    {
        var (accountId, ownerId) = await PartnerAsync();
        var email = BillingDriver.UniqueId("thanh-vien") + "@example.vn";
        using var owner = As(accountId, ownerId, Roles.Owner);

        using var invite = await owner.PostAsJsonAsync("/api/v1/account/members/invitations", new { email });
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var token = await InvitationTokenAsync(email);
        using var anonymous = platform.CreateBillingClient();
        var offer = await anonymous.GetFromJsonAsync<JsonElement>($"/api/v1/account/invitations?token={Uri.EscapeDataString(token)}");
        Assert.Equal("Sở Nội vụ thử nghiệm", offer.GetProperty("accountName").GetString());
        Assert.Equal("member", offer.GetProperty("role").GetString());
        Assert.Equal("pending", offer.GetProperty("status").GetString());

        using var accept = await anonymous.PostAsJsonAsync("/api/v1/account/invitations/accept", new { token, displayName = "Đỗ Thị Thành Viên", password = Password });
        using var twice = await anonymous.PostAsJsonAsync("/api/v1/account/invitations/accept", new { token, displayName = "Someone", password = Password });
        using var signIn = await anonymous.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = Password });

        Assert.Equal(HttpStatusCode.Created, accept.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var session = await signIn.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(accountId, session.GetProperty("accountId").GetString());
        var descriptor = await _billing.DescriptorAsync(session.GetProperty("key").GetString()!);
        Assert.Equal([Roles.Member], descriptor!.Roles);
        Assert.Equal(session.GetProperty("userId").GetString(), descriptor.UserId);

        var members = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/members");
        var joined = members.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("email").GetString() == email);
        Assert.Equal("Đỗ Thị Thành Viên", joined.GetProperty("displayName").GetString());
        Assert.Equal("accepted", members.GetProperty("invitations").EnumerateArray().Single(i => i.GetProperty("email").GetString() == email)
            .GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_member_cannot_invite_change_the_plan_or_touch_the_owners_keys_but_manages_their_own()
    {
        var (accountId, ownerId) = await PartnerAsync();
        var memberId = await InviteAndAcceptAsync(accountId, ownerId, BillingDriver.UniqueId("member") + "@example.vn");
        var (_, ownerKeyId) = await _billing.CreateKeyAsync(accountId, "owner's ETL");
        using var member = As(accountId, memberId, Roles.Member);

        using var invite = await member.PostAsJsonAsync("/api/v1/account/members/invitations", new { email = BillingDriver.UniqueId("x") + "@example.vn" });
        using var plan = await member.PutAsJsonAsync("/api/v1/account/subscription/plan", new { planId = "developer" });
        using var revokeOwners = await member.DeleteAsync($"/api/v1/account/keys/{ownerKeyId}");
        using var create = await member.PostAsJsonAsync("/api/v1/account/keys", new { name = "báo cáo của tôi" });
        var issued = await create.Content.ReadFromJsonAsync<JsonElement>();
        var listed = await member.GetFromJsonAsync<JsonElement>("/api/v1/account/keys");
        using var revokeOwn = await member.DeleteAsync($"/api/v1/account/keys/{issued.GetProperty("details").GetProperty("id").GetString()}");
        var usage = await member.GetAsync("/api/v1/account/usage");

        Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, plan.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, revokeOwners.StatusCode);
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        Assert.Equal(["báo cáo của tôi"], listed.EnumerateArray().Select(k => k.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.OK, revokeOwn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
    }

    [Fact]
    public async Task A_key_made_by_a_member_carries_the_members_roles_not_the_owners()
    {
        var (accountId, ownerId) = await PartnerAsync();
        var memberId = await InviteAndAcceptAsync(accountId, ownerId, BillingDriver.UniqueId("member") + "@example.vn");
        using var member = As(accountId, memberId, Roles.Member);

        using var create = await member.PostAsJsonAsync("/api/v1/account/keys", new { name = "member key" });

        var descriptor = await _billing.DescriptorAsync((await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
        Assert.Equal([Roles.Member], descriptor!.Roles);
        Assert.Equal(memberId, descriptor.UserId);
        var (ownerKey, _) = await _billing.CreateKeyAsync(accountId, "owner key");
        Assert.Equal([Roles.Owner], (await _billing.DescriptorAsync(ownerKey))!.Roles);
    }

    [Fact]
    public async Task Demoting_an_owner_narrows_their_keys_at_once_and_removing_them_revokes_the_keys()
    {
        var (accountId, ownerId) = await PartnerAsync();
        var secondId = await InviteAndAcceptAsync(accountId, ownerId, BillingDriver.UniqueId("second") + "@example.vn", role: "owner");
        using var second = As(accountId, secondId, Roles.Owner);
        using var create = await second.PostAsJsonAsync("/api/v1/account/keys", new { name = "second owner's key" });
        var key = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        Assert.Equal([Roles.Owner], (await _billing.DescriptorAsync(key))!.Roles);
        using var owner = As(accountId, ownerId, Roles.Owner);

        using var demote = await owner.PutAsJsonAsync($"/api/v1/account/members/{secondId}/role", new { role = "member" });
        var demoted = await _billing.DescriptorAsync(key);
        using var remove = await owner.DeleteAsync($"/api/v1/account/members/{secondId}");
        var removed = await _billing.DescriptorAsync(key);

        Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        Assert.Equal([Roles.Member], demoted!.Roles);
        Assert.Equal(ApiKeyStatus.Active, demoted.Status);
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        Assert.Equal(ApiKeyStatus.Revoked, removed!.Status);
        var members = await owner.GetFromJsonAsync<JsonElement>("/api/v1/account/members");
        Assert.Equal([ownerId], members.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task The_last_owner_can_be_neither_demoted_nor_removed()
    {
        var (accountId, ownerId) = await PartnerAsync();
        using var owner = As(accountId, ownerId, Roles.Owner);

        using var demote = await owner.PutAsJsonAsync($"/api/v1/account/members/{ownerId}/role", new { role = "member" });
        using var remove = await owner.DeleteAsync($"/api/v1/account/members/{ownerId}");

        Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, remove.StatusCode);
        Assert.Contains("only owner", (await remove.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_withdrawn_invitation_cannot_be_accepted_and_an_address_with_an_account_cannot_join_another()
    {
        var (accountId, ownerId) = await PartnerAsync();
        using var owner = As(accountId, ownerId, Roles.Owner);
        var withdrawnEmail = BillingDriver.UniqueId("withdrawn") + "@example.vn";
        using var invite = await owner.PostAsJsonAsync("/api/v1/account/members/invitations", new { email = withdrawnEmail });
        var invitationId = (await invite.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var withdraw = await owner.DeleteAsync($"/api/v1/account/members/invitations/{invitationId}");
        var withdrawnToken = await InvitationTokenAsync(withdrawnEmail);

        var registered = BillingDriver.UniqueId("registered") + "@example.vn";
        await AccountTests.SignUpAndConfirmAsync(platform, registered);
        using var inviteRegistered = await owner.PostAsJsonAsync("/api/v1/account/members/invitations", new { email = registered });
        var registeredToken = await InvitationTokenAsync(registered);

        using var anonymous = platform.CreateBillingClient();
        using var acceptWithdrawn = await anonymous.PostAsJsonAsync("/api/v1/account/invitations/accept", new { token = withdrawnToken, displayName = "A", password = Password });
        using var acceptRegistered = await anonymous.PostAsJsonAsync("/api/v1/account/invitations/accept", new { token = registeredToken, displayName = "B", password = Password });

        Assert.Equal(HttpStatusCode.NoContent, withdraw.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, acceptWithdrawn.StatusCode);
        Assert.Contains("revoked", (await acceptWithdrawn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Created, inviteRegistered.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, acceptRegistered.StatusCode);
    }

    [GeneratedRegex(@"https?://\S+/api/v1/account/invitations\?token=[A-Za-z0-9_%\-]+")]
    private static partial Regex InvitationLink();
}

[Collection(EmbeddedCollection.Name)]
public sealed class MembersTests_Embedded(BillingEmbeddedFixture platform) : MembersTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class MembersTests_Production(BillingProductionFixture platform) : MembersTests(platform);
