using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Dapper;
using DataPlatform.Billing.Storage;

namespace DataPlatform.Billing.Accounts;

/// <summary>Settings for password resets, bound from <c>Billing:PasswordReset</c>.</summary>
sealed class PasswordResetOptions
{
    public const string SectionName = "Billing:PasswordReset";

    /// <summary>How long a reset link works.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "1.00:00:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The least time between two reset mails to one address, so that the form cannot flood a mailbox.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MinimumInterval { get; set; } = TimeSpan.FromMinutes(1);
}

sealed class PasswordReset
{
    public string TokenHash { get; set; } = "";
    public string UserId { get; set; } = "";
    public long CreatedAt { get; set; }
    public long ExpiresAt { get; set; }
    public long? UsedAt { get; set; }
}

/// <summary>
/// One-time password reset tokens. As with confirmation and invitation tokens, the token is mailed and only its
/// SHA-256 is kept; a token works once, until it expires, and a newer one does not revive an older one.
/// </summary>
sealed class PasswordResetStore(BillingDb db, TimeProvider time)
{
    readonly Microsoft.AspNetCore.Identity.PasswordHasher<User> _hasher = new();

    /// <summary>A new token for <paramref name="user"/>, or <c>null</c> when one was issued less than <paramref name="minimumInterval"/> ago.</summary>
    public async Task<string?> IssueAsync(User user, TimeSpan lifetime, TimeSpan minimumInterval, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var recent = await db.SingleAsync<long?>("SELECT MAX(created_at) FROM password_resets WHERE user_id = @Id", new { user.Id }, cancellationToken);
        if (recent is { } last && UnixTime.At(last) + minimumInterval > now)
        {
            return null;
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        await db.ExecuteAsync("""
            INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (@TokenHash, @UserId, @CreatedAt, @ExpiresAt)
            """, new PasswordReset
        {
            TokenHash = Hash(token),
            UserId = user.Id,
            CreatedAt = UnixTime.Of(now),
            ExpiresAt = UnixTime.Of(now + lifetime),
        }, cancellationToken);
        return token;
    }

    /// <summary>
    /// Spends the token and sets the user's new password in one transaction: the user, or <c>null</c> when the token
    /// is unknown, expired or used (also by a concurrent request that got there first). Every other open token of the
    /// user is spent too, and every portal session of the user ends.
    /// </summary>
    public Task<User?> CompleteAsync(string token, string password, CancellationToken cancellationToken) =>
        db.InTransactionAsync<User?>(async (connection, transaction) =>
        {
            var now = UnixTime.Of(time.GetUtcNow());
            var userId = await connection.QuerySingleOrDefaultAsync<string?>("""
                UPDATE password_resets SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now RETURNING user_id
                """, new { hash = Hash(token), now }, transaction);
            if (userId is null)
            {
                return null;
            }

            var user = await connection.QuerySingleOrDefaultAsync<User>("SELECT * FROM users WHERE id = @userId", new { userId }, transaction);
            if (user is null)
            {
                return null;
            }

            await connection.ExecuteAsync("UPDATE password_resets SET used_at = @now WHERE user_id = @userId AND used_at IS NULL",
                new { userId, now }, transaction);
            await connection.ExecuteAsync("UPDATE users SET password_hash = @hash WHERE id = @userId",
                new { userId, hash = _hasher.HashPassword(user, password) }, transaction);
            await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = @now WHERE user_id = @userId AND kind = 'session' AND revoked_at IS NULL",
                new { userId, now }, transaction);
            return user;
        }, cancellationToken);

    static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}
