using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.ApiKeys;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.Contracts.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DataPlatform.Billing.Admin;

/// <summary>Accounts for admins: list, open, change status (which suspends or restores every key) and grant restricted datasets.</summary>
public static class AdminAccountsApi
{
    public static RouteGroupBuilder MapAdminAccountsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/admin/accounts").WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin);
        group.MapGet("/", ListAsync).WithName("AdminListAccounts")
            .WithSummary("Every account, optionally only those with one status, or the one whose user has an e-mail address.");
        group.MapGet("/{accountId}", GetAsync).WithName("AdminGetAccount").WithSummary("One account with its users, plan and products.");
        group.MapPost("/", CreateAsync).WithName("AdminCreateAccount")
            .WithSummary("Opens an account whose owner's e-mail address counts as confirmed, on a plan of the admin's choice.");
        group.MapPut("/{accountId}/status", SetStatusAsync).WithName("AdminSetAccountStatus")
            .WithSummary("Activates, suspends (keys answer 402 with the reason) or closes an account.");
        group.MapPut("/{accountId}/users/{userId}/roles", SetRolesAsync).WithName("AdminSetUserRoles")
            .WithSummary("Replaces a user's roles with the list given (owner, member, publisher, admin); the account's keys carry them at once. "
                + "Taking 'owner' from the account's only owner is refused with 409.");
        group.MapPut("/{accountId}/grants/{datasetId}", GrantAsync).WithName("AdminGrantDataset")
            .WithSummary("Grants an account a restricted dataset.");
        group.MapDelete("/{accountId}/grants/{datasetId}", RevokeGrantAsync).WithName("AdminRevokeDataset")
            .WithSummary("Withdraws a restricted dataset grant.");
        return group;
    }

    static async Task<Ok<IReadOnlyList<Account>>> ListAsync(string? status, string? email, AccountStore accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.ListAsync(status, email, cancellationToken));

    static async Task<Results<Ok<AccountView>, ProblemHttpResult>> GetAsync(
        string accountId, AccountStore accounts, SubscriptionStore subscriptions, TimeProvider time, CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(accountId, cancellationToken);
        return account is null
            ? BillingProblems.NotFound($"There is no account '{accountId}'.")
            : TypedResults.Ok(await AccountApi.ProfileAsync(account, accounts, subscriptions, time, cancellationToken));
    }

    static async Task<Results<Created<AccountView>, ProblemHttpResult>> CreateAsync(
        NewAccountRequest request, AccountStore accounts, SubscriptionStore subscriptions, PlanStore plans, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!AccountKinds.IsValid(request.Kind) || string.IsNullOrWhiteSpace(request.Name) || string.IsNullOrWhiteSpace(request.OwnerEmail))
        {
            return BillingProblems.Invalid("'kind' (individual or partner), 'name' and 'ownerEmail' are required.");
        }

        if (request.Kind == AccountKinds.Partner && (request.Organisation is null || AccountApi.ValidateOrganisation(request.Organisation) is not null))
        {
            return BillingProblems.Invalid(request.Organisation is null
                ? "A partner account needs 'organisation'."
                : AccountApi.ValidateOrganisation(request.Organisation)!);
        }

        var planId = request.PlanId ?? (request.Kind == AccountKinds.Partner ? "partner" : "developer");
        if (await plans.FindPlanAsync(planId, cancellationToken) is null)
        {
            return BillingProblems.Invalid($"There is no plan '{planId}'.");
        }

        if (await accounts.FindUserByEmailAsync(request.OwnerEmail, cancellationToken) is not null)
        {
            return BillingProblems.Conflict("A user with this e-mail address exists already.");
        }

        var roles = (request.Roles ?? []).Append(Roles.Owner).Where(r => r is Roles.Owner or Roles.Member or Roles.Publisher or Roles.Admin).ToList();
        var (account, _, _) = await accounts.CreateAsync(new NewAccount(
            request.Kind, request.Name.Trim(), request.Organisation, request.OwnerEmail, request.Name.Trim(),
            System.Security.Cryptography.RandomNumberGenerator.GetHexString(32), roles, EmailConfirmed: true), cancellationToken);
        await subscriptions.ChangePlanAsync(account.Id, planId, cancellationToken);
        return TypedResults.Created($"/api/v1/admin/accounts/{account.Id}", await AccountApi.ProfileAsync(account, accounts, subscriptions, time, cancellationToken));
    }

    static async Task<Results<Ok<AccountView>, ProblemHttpResult>> SetStatusAsync(
        string accountId, StatusChange change, AccountStore accounts, SubscriptionStore subscriptions, DescriptorPublisher publisher,
        TimeProvider time, CancellationToken cancellationToken)
    {
        if (!AccountStatuses.IsValid(change.Status) || change.Status == AccountStatuses.Pending)
        {
            return BillingProblems.Invalid("'status' must be active, suspended or closed.");
        }

        if (!await accounts.SetStatusAsync(accountId, change.Status!, change.Reason, cancellationToken))
        {
            return BillingProblems.NotFound($"There is no account '{accountId}'.");
        }

        await publisher.PublishAccountAsync(accountId, cancellationToken);
        var account = await accounts.FindAsync(accountId, cancellationToken);
        return TypedResults.Ok(await AccountApi.ProfileAsync(account!, accounts, subscriptions, time, cancellationToken));
    }

    static async Task<Results<Ok<AccountView>, ProblemHttpResult>> SetRolesAsync(
        string accountId, string userId, RolesChange change, AccountStore accounts, SubscriptionStore subscriptions, DescriptorPublisher publisher,
        TimeProvider time, CancellationToken cancellationToken)
    {
        string[] known = [Roles.Owner, Roles.Member, Roles.Publisher, Roles.Admin];
        if (change.Roles is null || change.Roles.Count == 0 || change.Roles.Any(r => !known.Contains(r)))
        {
            return BillingProblems.Invalid($"'roles' must list one or more of: {string.Join(", ", known)}.");
        }

        var users = await accounts.UsersAsync(accountId, cancellationToken);
        var user = users.FirstOrDefault(u => u.Id == userId);
        if (user is null)
        {
            return BillingProblems.NotFound($"Account '{accountId}' has no user '{userId}'.");
        }

        // The list replaces the user's roles, so leaving 'owner' out takes it away: an account always keeps an owner.
        if (!change.Roles.Contains(Roles.Owner) && AccountPermissions.IsLastOwner(user, users))
        {
            return BillingProblems.Conflict(
                "This is the account's only owner, and the roles given (which replace the user's roles) leave out 'owner'. Make someone else an owner first, or include 'owner'.");
        }

        await accounts.SetRolesAsync(userId, change.Roles, cancellationToken);
        await publisher.PublishAccountAsync(accountId, cancellationToken);
        var account = await accounts.FindAsync(accountId, cancellationToken);
        return TypedResults.Ok(await AccountApi.ProfileAsync(account!, accounts, subscriptions, time, cancellationToken));
    }

    static async Task<Results<NoContent, ProblemHttpResult>> GrantAsync(
        string accountId, string datasetId, AccountStore accounts, BillingDb db, DescriptorPublisher publisher, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await accounts.FindAsync(accountId, cancellationToken) is null)
        {
            return BillingProblems.NotFound($"There is no account '{accountId}'.");
        }

        await db.ExecuteAsync("""
            INSERT INTO dataset_grants (account_id, dataset_id, granted_at) VALUES (@accountId, @datasetId, @now)
            ON CONFLICT (account_id, dataset_id) DO NOTHING
            """, new { accountId, datasetId, now = UnixTime.Of(time.GetUtcNow()) }, cancellationToken);
        await publisher.PublishAccountAsync(accountId, cancellationToken);
        return TypedResults.NoContent();
    }

    static async Task<Results<NoContent, ProblemHttpResult>> RevokeGrantAsync(
        string accountId, string datasetId, BillingDb db, DescriptorPublisher publisher, CancellationToken cancellationToken)
    {
        if (await db.ExecuteAsync("DELETE FROM dataset_grants WHERE account_id = @accountId AND dataset_id = @datasetId",
                new { accountId, datasetId }, cancellationToken) == 0)
        {
            return BillingProblems.NotFound($"The account has no grant for '{datasetId}'.");
        }

        await publisher.PublishAccountAsync(accountId, cancellationToken);
        return TypedResults.NoContent();
    }

    internal sealed record NewAccountRequest(
        string Kind, string Name, string OwnerEmail, Organisation? Organisation, string? PlanId, IReadOnlyList<string>? Roles);

    internal sealed record StatusChange(string? Status, string? Reason);

    internal sealed record RolesChange(IReadOnlyList<string>? Roles);
}
