using DataPlatform.Billing.ApiKeys;
using DataPlatform.Billing.Storage;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Accounts;

/// <summary>
/// The people of an account (<c>/api/v1/account/members</c>): everyone in it may list them; the owner invites by
/// e-mail, changes roles and removes people (see <see cref="AccountPermissions"/>). An invitee follows the mailed
/// link (<c>/api/v1/account/invitations</c>) and chooses a name and password, joining with the invited role. Every
/// change rewrites the account's key descriptors, so a removed member's keys stop at once and a demoted member's
/// keys lose the role.
/// </summary>
public static class MembersApi
{
    public static IEndpointRouteBuilder MapMembersApi(this IEndpointRouteBuilder app)
    {
        var members = app.MapGroup("/api/v1/account/members").WithTags("Account members").AddEndpointFilter(BillingProblems.RequireCaller);
        members.MapGet("/", ListAsync).WithName("ListMembers")
            .WithSummary("The account's people and their roles; owners also see the invitations.");
        members.MapPost("/invitations", InviteAsync).WithName("InviteMember")
            .WithSummary("Invites someone by e-mail as a member (or owner); the link is mailed to them. Owners only.");
        members.MapDelete("/invitations/{invitationId}", RevokeInvitationAsync).WithName("RevokeInvitation")
            .WithSummary("Withdraws an invitation that is not accepted yet. Owners only.");
        members.MapPut("/{userId}/role", ChangeRoleAsync).WithName("ChangeMemberRole")
            .WithSummary("Makes a person an owner or a member; platform roles (publisher, admin) are kept. Owners only; the last owner stays.");
        members.MapDelete("/{userId}", RemoveAsync).WithName("RemoveMember")
            .WithSummary("Takes a person out of the account and revokes their keys. Owners, or a member leaving; the last owner stays.");

        var invitations = app.MapGroup("/api/v1/account/invitations").WithTags("Account members");
        invitations.MapGet("/", ShowInvitationAsync).WithName("ShowInvitation")
            .WithSummary("What the mailed invitation link offers: the account, the address and the role.");
        invitations.MapPost("/accept", AcceptAsync).WithName("AcceptInvitation")
            .WithSummary("Accepts an invitation: a user with the invited address, the chosen name and password joins the account.");
        return app;
    }

    static async Task<Results<Ok<MembersView>, ProblemHttpResult>> ListAsync(
        HttpContext context, AccountStore accounts, InvitationStore invitations, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = context.GetConsumer();
        if (await accounts.FindAsync(caller.AccountId!, cancellationToken) is null)
        {
            return BillingProblems.NotFound("Billing has no account for this caller.");
        }

        var now = time.GetUtcNow();
        var people = (await accounts.UsersAsync(caller.AccountId!, cancellationToken))
            .Select(u => new UserView(u.Id, u.Email, u.DisplayName, u.EmailConfirmed != 0, u.RoleList)).ToList();
        IReadOnlyList<InvitationView> invited = AccountPermissions.IsOwner(caller)
            ? (await invitations.ListAsync(caller.AccountId!, cancellationToken)).Select(i => InvitationView.From(i, now)).ToList()
            : [];
        return TypedResults.Ok(new MembersView(people, invited));
    }

    static async Task<Results<Created<InvitationView>, ProblemHttpResult>> InviteAsync(
        InviteRequest request, HttpContext context, AccountStore accounts, InvitationStore invitations, AccountMailer mailer,
        IOptions<InvitationOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = context.GetConsumer();
        if (!AccountPermissions.IsOwner(caller))
        {
            return BillingProblems.Forbidden("Only the account's owner may invite people.");
        }

        var role = request.Role ?? Roles.Member;
        if (!AccountApi.IsEmail(request.Email) || !AccountPermissions.AccountRoles.Contains(role))
        {
            return BillingProblems.Invalid($"'email' must be an e-mail address and 'role' one of: {string.Join(", ", AccountPermissions.AccountRoles)}.");
        }

        var account = await accounts.FindAsync(caller.AccountId!, cancellationToken);
        if (account is null)
        {
            return BillingProblems.NotFound("Billing has no account for this caller.");
        }

        if (account.Status is AccountStatuses.Closed or AccountStatuses.Pending)
        {
            return BillingProblems.Conflict($"The account is {account.Status}; it cannot take new members.");
        }

        if ((await accounts.UsersAsync(account.Id, cancellationToken)).Any(u => u.Email == AccountStore.NormalizeEmail(request.Email!)))
        {
            return BillingProblems.Conflict("This person is in the account already.");
        }

        var (invitation, token) = await invitations.CreateAsync(account.Id, request.Email!, role, caller.UserId, options.Value.Lifetime, cancellationToken);
        await mailer.SendInvitationAsync(invitation.Email, account.Name, role, token, UnixTime.At(invitation.ExpiresAt), cancellationToken);
        return TypedResults.Created($"/api/v1/account/members/invitations/{invitation.Id}", InvitationView.From(invitation, time.GetUtcNow()));
    }

    static async Task<Results<NoContent, ProblemHttpResult>> RevokeInvitationAsync(
        string invitationId, HttpContext context, InvitationStore invitations, CancellationToken cancellationToken)
    {
        var caller = context.GetConsumer();
        if (!AccountPermissions.IsOwner(caller))
        {
            return BillingProblems.Forbidden("Only the account's owner may withdraw invitations.");
        }

        return await invitations.RevokeAsync(caller.AccountId!, invitationId, cancellationToken)
            ? TypedResults.NoContent()
            : BillingProblems.NotFound($"The account has no open invitation '{invitationId}'.");
    }

    static async Task<Results<Ok<UserView>, ProblemHttpResult>> ChangeRoleAsync(
        string userId, RoleChange change, HttpContext context, AccountStore accounts, DescriptorPublisher publisher, CancellationToken cancellationToken)
    {
        var caller = context.GetConsumer();
        if (!AccountPermissions.IsOwner(caller))
        {
            return BillingProblems.Forbidden("Only the account's owner may change roles.");
        }

        if (change.Role is null || !AccountPermissions.AccountRoles.Contains(change.Role))
        {
            return BillingProblems.Invalid($"'role' must be one of: {string.Join(", ", AccountPermissions.AccountRoles)}.");
        }

        var users = await accounts.UsersAsync(caller.AccountId!, cancellationToken);
        var user = users.FirstOrDefault(u => u.Id == userId);
        if (user is null)
        {
            return BillingProblems.NotFound($"The account has no user '{userId}'.");
        }

        if (change.Role != Roles.Owner && AccountPermissions.IsLastOwner(user, users))
        {
            return BillingProblems.Conflict("This is the account's only owner. Make someone else an owner first.");
        }

        var roles = user.RoleList.Where(AccountPermissions.PlatformRoles.Contains).Prepend(change.Role).ToList();
        await accounts.SetRolesAsync(user.Id, roles, cancellationToken);
        await publisher.PublishAccountAsync(caller.AccountId!, cancellationToken);
        return TypedResults.Ok(new UserView(user.Id, user.Email, user.DisplayName, user.EmailConfirmed != 0, roles));
    }

    static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(
        string userId, HttpContext context, AccountStore accounts, DescriptorPublisher publisher, CancellationToken cancellationToken)
    {
        var caller = context.GetConsumer();
        if (!AccountPermissions.IsOwner(caller) && (caller.UserId is null || caller.UserId != userId))
        {
            return BillingProblems.Forbidden("Only the account's owner may remove people; a member may remove only themselves.");
        }

        var users = await accounts.UsersAsync(caller.AccountId!, cancellationToken);
        var user = users.FirstOrDefault(u => u.Id == userId);
        if (user is null)
        {
            return BillingProblems.NotFound($"The account has no user '{userId}'.");
        }

        if (AccountPermissions.IsLastOwner(user, users))
        {
            return BillingProblems.Conflict("This is the account's only owner. Make someone else an owner first, or ask an admin to close the account.");
        }

        await accounts.RemoveUserAsync(user, cancellationToken);
        await publisher.PublishAccountAsync(caller.AccountId!, cancellationToken);
        return TypedResults.NoContent();
    }

    static async Task<Results<Ok<InvitationDetails>, ProblemHttpResult>> ShowInvitationAsync(
        string? token, AccountStore accounts, InvitationStore invitations, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return BillingProblems.Invalid("The 'token' query parameter is required.");
        }

        var invitation = await invitations.FindByTokenAsync(token, cancellationToken);
        var account = invitation is null ? null : await accounts.FindAsync(invitation.AccountId, cancellationToken);
        if (invitation is null || account is null)
        {
            return BillingProblems.NotFound("This invitation link is unknown.");
        }

        return TypedResults.Ok(new InvitationDetails(account.Name, invitation.Email, invitation.Role, invitation.StatusAt(UnixTime.Of(time.GetUtcNow())),
            UnixTime.At(invitation.ExpiresAt), "POST /api/v1/account/invitations/accept with 'token', 'displayName' and 'password' to join."));
    }

    static async Task<Results<Created<AcceptResult>, ProblemHttpResult>> AcceptAsync(
        AcceptRequest request, AccountStore accounts, InvitationStore invitations, DescriptorPublisher publisher, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Token) || string.IsNullOrWhiteSpace(request.DisplayName) || request.Password is null || request.Password.Length < 10)
        {
            return BillingProblems.Invalid("'token' and 'displayName' are required, and 'password' needs at least 10 characters.");
        }

        var invitation = await invitations.FindByTokenAsync(request.Token, cancellationToken);
        if (invitation is null)
        {
            return BillingProblems.NotFound("This invitation link is unknown.");
        }

        var status = invitation.StatusAt(UnixTime.Of(time.GetUtcNow()));
        if (status != "pending")
        {
            return BillingProblems.Conflict($"This invitation is {status}. Ask the account's owner for a new one.");
        }

        // A user belongs to one account: an address that has an account already cannot join another one.
        if (await accounts.FindUserByEmailAsync(invitation.Email, cancellationToken) is not null)
        {
            return BillingProblems.Conflict(
                "This address has a DataPlatform account already, and a user belongs to one account. Ask the owner to invite another address.");
        }

        if (!await invitations.MarkAcceptedAsync(invitation, cancellationToken))
        {
            return BillingProblems.Conflict("This invitation was accepted or withdrawn a moment ago.");
        }

        var user = await accounts.AddMemberAsync(invitation.AccountId, invitation.Email, request.DisplayName.Trim(), request.Password, [invitation.Role], cancellationToken);
        await publisher.PublishAccountAsync(invitation.AccountId, cancellationToken);
        return TypedResults.Created("/api/v1/account", new AcceptResult(invitation.AccountId, user.Id, user.Email, user.RoleList,
            "You joined the account. Sign in with this address and your password."));
    }

    internal sealed record MembersView(IReadOnlyList<UserView> Members, IReadOnlyList<InvitationView> Invitations);

    internal sealed record InviteRequest(string? Email, string? Role);

    internal sealed record RoleChange(string? Role);

    internal sealed record InvitationDetails(string AccountName, string Email, string Role, string Status, DateTimeOffset ExpiresAt, string Next);

    internal sealed record AcceptRequest(string? Token, string? DisplayName, string? Password);

    internal sealed record AcceptResult(string AccountId, string UserId, string Email, IReadOnlyList<string> Roles, string Message);
}
