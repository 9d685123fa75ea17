using System.Security.Cryptography;
using Dapper;
using DataPlatform.Billing.Storage;
using Microsoft.AspNetCore.Identity;

namespace DataPlatform.Billing.Accounts;

/// <summary>What it takes to open an account with its first user, who becomes the owner.</summary>
sealed record NewAccount(
    string Kind, string Name, Organisation? Organisation, string Email, string DisplayName, string Password,
    IReadOnlyList<string> Roles, bool EmailConfirmed, string? Id = null);

/// <summary>Accounts and their users. Passwords are hashed with ASP.NET Core Identity's PBKDF2 hasher.</summary>
sealed class AccountStore(BillingDb db, TimeProvider time)
{
    readonly PasswordHasher<User> _hasher = new();

    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Creates the account and its owner; returns the e-mail confirmation token when one is needed.</summary>
    public async Task<(Account Account, User Owner, string? ConfirmationToken)> CreateAsync(NewAccount request, CancellationToken cancellationToken)
    {
        var now = UnixTime.Of(time.GetUtcNow());
        var account = new Account
        {
            Id = request.Id ?? NewId("acct_"),
            Kind = request.Kind,
            Name = request.Name,
            OrganisationName = request.Organisation?.Name,
            TaxCode = request.Organisation?.TaxCode,
            BillingContactName = request.Organisation?.BillingContactName,
            BillingContactEmail = request.Organisation?.BillingContactEmail,
            Status = request.EmailConfirmed ? AccountStatuses.Active : AccountStatuses.Pending,
            CreatedAt = now,
        };
        var token = request.EmailConfirmed ? null : Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        var owner = new User
        {
            Id = NewId("user_"),
            AccountId = account.Id,
            Email = NormalizeEmail(request.Email),
            DisplayName = request.DisplayName,
            EmailConfirmed = request.EmailConfirmed ? 1 : 0,
            ConfirmationTokenHash = token is null ? null : TokenHash(token),
            Roles = string.Join(',', request.Roles.Distinct()),
            CreatedAt = now,
        };
        owner.PasswordHash = _hasher.HashPassword(owner, request.Password);

        await db.InTransactionAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync("""
                INSERT INTO accounts (id, kind, name, organisation_name, tax_code, billing_contact_name, billing_contact_email, status, created_at)
                VALUES (@Id, @Kind, @Name, @OrganisationName, @TaxCode, @BillingContactName, @BillingContactEmail, @Status, @CreatedAt)
                """, account, transaction);
            await connection.ExecuteAsync("""
                INSERT INTO users (id, account_id, email, display_name, password_hash, email_confirmed, confirmation_token_hash, roles, created_at)
                VALUES (@Id, @AccountId, @Email, @DisplayName, @PasswordHash, @EmailConfirmed, @ConfirmationTokenHash, @Roles, @CreatedAt)
                """, owner, transaction);
            return true;
        }, cancellationToken);
        return (account, owner, token);
    }

    public Task<Account?> FindAsync(string id, CancellationToken cancellationToken) =>
        db.SingleAsync<Account>("SELECT * FROM accounts WHERE id = @id", new { id }, cancellationToken);

    public Task<IReadOnlyList<Account>> ListAsync(string? status, CancellationToken cancellationToken) => ListAsync(status, null, cancellationToken);

    /// <summary>Accounts, optionally only those with <paramref name="status"/> or with a user whose address is <paramref name="email"/>.</summary>
    public Task<IReadOnlyList<Account>> ListAsync(string? status, string? email, CancellationToken cancellationToken) => db.QueryAsync<Account>("""
        SELECT * FROM accounts WHERE (@status IS NULL OR status = @status)
          AND (@email IS NULL OR id IN (SELECT account_id FROM users WHERE email = @email))
        ORDER BY created_at, id
        """, new { status, email = email is null ? null : NormalizeEmail(email) }, cancellationToken);

    public Task<User?> FindUserByEmailAsync(string email, CancellationToken cancellationToken) =>
        db.SingleAsync<User>("SELECT * FROM users WHERE email = @email", new { email = NormalizeEmail(email) }, cancellationToken);

    public Task<IReadOnlyList<User>> UsersAsync(string accountId, CancellationToken cancellationToken) =>
        db.QueryAsync<User>("SELECT * FROM users WHERE account_id = @accountId ORDER BY created_at, id", new { accountId }, cancellationToken);

    public async Task<bool> AnyUserWithRoleAsync(string role, CancellationToken cancellationToken) =>
        (await db.QueryAsync<User>("SELECT * FROM users", null, cancellationToken)).Any(u => u.RoleList.Contains(role));

    /// <summary>The first owner: whose roles the account's older keys (made before keys had a user) carry, and the billing contact of last resort.</summary>
    public async Task<User?> OwnerAsync(string accountId, CancellationToken cancellationToken) =>
        FirstOwner(await UsersAsync(accountId, cancellationToken));

    public static User? FirstOwner(IEnumerable<User> users) =>
        users.FirstOrDefault(u => u.RoleList.Contains(DataPlatform.Contracts.Access.Roles.Owner)) ?? users.FirstOrDefault();

    /// <summary>Adds a user who accepted an invitation: the address counts as confirmed, since the link was mailed to it.</summary>
    public async Task<User> AddMemberAsync(
        string accountId, string email, string displayName, string password, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var user = new User
        {
            Id = NewId("user_"),
            AccountId = accountId,
            Email = NormalizeEmail(email),
            DisplayName = displayName,
            EmailConfirmed = 1,
            Roles = string.Join(',', roles.Distinct()),
            CreatedAt = UnixTime.Of(time.GetUtcNow()),
        };
        user.PasswordHash = _hasher.HashPassword(user, password);
        await db.ExecuteAsync("""
            INSERT INTO users (id, account_id, email, display_name, password_hash, email_confirmed, confirmation_token_hash, roles, created_at)
            VALUES (@Id, @AccountId, @Email, @DisplayName, @PasswordHash, @EmailConfirmed, NULL, @Roles, @CreatedAt)
            """, user, cancellationToken);
        return user;
    }

    /// <summary>
    /// Takes a user out of their account: their keys (programs' and portal sessions) are revoked and no longer name
    /// them, and the address is free to be invited again or to sign up anew.
    /// </summary>
    public Task RemoveUserAsync(User user, CancellationToken cancellationToken) => db.InTransactionAsync(async (connection, transaction) =>
    {
        await connection.ExecuteAsync("""
            UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now), user_id = NULL WHERE user_id = @Id
            """, new { user.Id, now = UnixTime.Of(time.GetUtcNow()) }, transaction);
        await connection.ExecuteAsync("DELETE FROM users WHERE id = @Id", new { user.Id }, transaction);
        return true;
    }, cancellationToken);

    /// <summary>Spends the time a password check takes, so that a path which has no password to check is not faster.</summary>
    public void HashAnyway(string password) => _hasher.HashPassword(new User(), password);

    public Task<User?> FindUserAsync(string userId, CancellationToken cancellationToken) =>
        db.SingleAsync<User>("SELECT * FROM users WHERE id = @userId", new { userId }, cancellationToken);

    public async Task<bool> SetRolesAsync(string userId, IReadOnlyList<string> roles, CancellationToken cancellationToken) =>
        await db.ExecuteAsync("UPDATE users SET roles = @roles WHERE id = @userId",
            new { userId, roles = string.Join(',', roles.Distinct()) }, cancellationToken) > 0;

    public async Task<bool> SetStatusAsync(string accountId, string status, string? reason, CancellationToken cancellationToken) =>
        await db.ExecuteAsync("UPDATE accounts SET status = @status, status_reason = @reason WHERE id = @accountId",
            new { accountId, status, reason }, cancellationToken) > 0;

    public Task SetStripeCustomerAsync(string accountId, string customerId, CancellationToken cancellationToken) =>
        db.ExecuteAsync("UPDATE accounts SET stripe_customer_id = @customerId WHERE id = @accountId", new { accountId, customerId }, cancellationToken);

    public Task<Account?> FindByStripeCustomerAsync(string customerId, CancellationToken cancellationToken) =>
        db.SingleAsync<Account>("SELECT * FROM accounts WHERE stripe_customer_id = @customerId", new { customerId }, cancellationToken);

    public async Task<bool> UpdateProfileAsync(string accountId, string name, Organisation? organisation, CancellationToken cancellationToken) =>
        await db.ExecuteAsync("""
            UPDATE accounts SET name = @name, organisation_name = COALESCE(@OrganisationName, organisation_name),
                tax_code = COALESCE(@TaxCode, tax_code), billing_contact_name = COALESCE(@BillingContactName, billing_contact_name),
                billing_contact_email = COALESCE(@BillingContactEmail, billing_contact_email)
            WHERE id = @accountId
            """, new
        {
            accountId,
            name,
            OrganisationName = organisation?.Name,
            organisation?.TaxCode,
            organisation?.BillingContactName,
            organisation?.BillingContactEmail,
        }, cancellationToken) > 0;

    /// <summary>Confirms the e-mail address the token was sent to, and activates a pending account.</summary>
    public async Task<User?> ConfirmEmailAsync(string token, CancellationToken cancellationToken)
    {
        var user = await db.SingleAsync<User>("SELECT * FROM users WHERE confirmation_token_hash = @hash", new { hash = TokenHash(token) }, cancellationToken);
        if (user is null)
        {
            return null;
        }

        await db.InTransactionAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync("UPDATE users SET email_confirmed = 1, confirmation_token_hash = NULL WHERE id = @Id", user, transaction);
            await connection.ExecuteAsync("UPDATE accounts SET status = @active WHERE id = @AccountId AND status = @pending",
                new { user.AccountId, active = AccountStatuses.Active, pending = AccountStatuses.Pending }, transaction);
            return true;
        }, cancellationToken);
        return user;
    }

    /// <summary>The user when the password matches; rehashes a password stored with older hasher settings.</summary>
    public async Task<User?> VerifyPasswordAsync(string email, string password, CancellationToken cancellationToken)
    {
        var user = await FindUserByEmailAsync(email, cancellationToken);
        if (user is null)
        {
            // Hash anyway, so that an unknown address takes as long to refuse as a wrong password.
            _hasher.HashPassword(new User(), password);
            return null;
        }

        var result = _hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await db.ExecuteAsync("UPDATE users SET password_hash = @hash WHERE id = @id",
                new { hash = _hasher.HashPassword(user, password), id = user.Id }, cancellationToken);
        }

        return result == PasswordVerificationResult.Failed ? null : user;
    }

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}
