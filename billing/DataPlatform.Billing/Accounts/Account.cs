namespace DataPlatform.Billing.Accounts;

/// <summary>The kinds of billing account.</summary>
static class AccountKinds
{
    /// <summary>An individual developer.</summary>
    public const string Individual = "individual";

    /// <summary>A partner agency, invoiced with its organisation name, tax code and billing contact.</summary>
    public const string Partner = "partner";

    public static bool IsValid(string? kind) => kind is Individual or Partner;
}

/// <summary>Where an account stands.</summary>
static class AccountStatuses
{
    /// <summary>Signed up, e-mail not confirmed yet: keys do not work.</summary>
    public const string Pending = "pending";

    public const string Active = "active";

    /// <summary>Suspended for non-payment or by an admin: keys answer 402 with the reason.</summary>
    public const string Suspended = "suspended";

    /// <summary>Closed for good: keys are refused as revoked.</summary>
    public const string Closed = "closed";

    public static bool IsValid(string? status) => status is Pending or Active or Suspended or Closed;
}

sealed class Account
{
    public string Id { get; set; } = "";
    public string Kind { get; set; } = AccountKinds.Individual;
    public string Name { get; set; } = "";
    public string? OrganisationName { get; set; }
    public string? TaxCode { get; set; }
    public string? BillingContactName { get; set; }
    public string? BillingContactEmail { get; set; }
    public string Status { get; set; } = AccountStatuses.Pending;
    public string? StatusReason { get; set; }
    public string? StripeCustomerId { get; set; }
    public string? StripeSubscriptionId { get; set; }
    public long CreatedAt { get; set; }
}

sealed class User
{
    public string Id { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string Email { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    public long EmailConfirmed { get; set; }
    public string? ConfirmationTokenHash { get; set; }
    public string Roles { get; set; } = "";
    public long CreatedAt { get; set; }

    public IReadOnlyList<string> RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>An organisation's details, required for partner accounts.</summary>
sealed record Organisation(string Name, string TaxCode, string BillingContactName, string BillingContactEmail);

/// <summary>An account as the APIs show it.</summary>
sealed record AccountView(
    string Id, string Kind, string Name, string Status, string? StatusReason, Organisation? Organisation,
    DateTimeOffset CreatedAt, string? PlanId, IReadOnlyList<string> Products, IReadOnlyList<UserView> Users)
{
    public static AccountView From(Account account, string? planId, IReadOnlyList<string> products, IEnumerable<User> users) => new(
        account.Id, account.Kind, account.Name, account.Status, account.StatusReason,
        account.Kind == AccountKinds.Partner
            ? new Organisation(account.OrganisationName ?? "", account.TaxCode ?? "", account.BillingContactName ?? "", account.BillingContactEmail ?? "")
            : null,
        DateTimeOffset.FromUnixTimeSeconds(account.CreatedAt), planId, products,
        users.Select(u => new UserView(u.Id, u.Email, u.DisplayName, u.EmailConfirmed != 0, u.RoleList)).ToList());
}

sealed record UserView(string Id, string Email, string DisplayName, bool EmailConfirmed, IReadOnlyList<string> Roles);
