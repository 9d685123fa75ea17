using DataPlatform.Contracts.Access;
using ConsumerContextRecord = DataPlatform.Contracts.ConsumerContext.ConsumerContext;

namespace DataPlatform.Billing.Accounts;

/// <summary>
/// What each role may do in its own account, in the manner of Stripe's team roles and Azure API Management's
/// groups. The owner runs the account: profile, members and invitations, plan and products, and every key. A member
/// uses the account: reads its profile, members, plans, subscription, usage and invoices, and makes, rotates and
/// revokes keys of their own, which carry their roles and never more. Publisher and admin are platform roles that
/// only admins grant; an admin acts as an owner of any account they call the account API for.
/// </summary>
static class AccountPermissions
{
    /// <summary>The roles an owner may give within the account.</summary>
    public static readonly IReadOnlyList<string> AccountRoles = [Roles.Owner, Roles.Member];

    /// <summary>Roles only admins give, which an owner's role change keeps as they are.</summary>
    public static readonly IReadOnlyList<string> PlatformRoles = [Roles.Publisher, Roles.Admin];

    public static bool IsOwner(ConsumerContextRecord caller) => caller.HasRole(Roles.Owner) || caller.HasRole(Roles.Admin);

    /// <summary>Whether <paramref name="user"/> is the only owner among <paramref name="users"/>, the account's people.</summary>
    public static bool IsLastOwner(User user, IReadOnlyList<User> users) =>
        user.RoleList.Contains(Roles.Owner) && users.Count(u => u.RoleList.Contains(Roles.Owner)) == 1;
}
