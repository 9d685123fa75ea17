using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using DataPlatform.Billing.Storage;

namespace DataPlatform.Billing.Accounts;

/// <summary>Settings for member invitations, bound from <c>Billing:Invitations</c>.</summary>
sealed class InvitationOptions
{
    public const string SectionName = "Billing:Invitations";

    /// <summary>How long an invitation link works.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "30.00:00:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);
}

sealed class Invitation
{
    public string Id { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string Email { get; set; } = "";
    public string Role { get; set; } = "";
    public string TokenHash { get; set; } = "";
    public string? InvitedBy { get; set; }
    public long CreatedAt { get; set; }
    public long ExpiresAt { get; set; }
    public long? AcceptedAt { get; set; }
    public long? RevokedAt { get; set; }

    public string StatusAt(long now) =>
        AcceptedAt is not null ? "accepted" : RevokedAt is not null ? "revoked" : ExpiresAt <= now ? "expired" : "pending";
}

sealed record InvitationView(string Id, string Email, string Role, string Status, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    public static InvitationView From(Invitation invitation, DateTimeOffset now) => new(
        invitation.Id, invitation.Email, invitation.Role, invitation.StatusAt(UnixTime.Of(now)),
        UnixTime.At(invitation.CreatedAt), UnixTime.At(invitation.ExpiresAt));
}

/// <summary>Invitations to join an account. Like confirmation tokens, the token is mailed and only its SHA-256 is kept.</summary>
sealed class InvitationStore(BillingDb db, TimeProvider time)
{
    public async Task<(Invitation Invitation, string Token)> CreateAsync(
        string accountId, string email, string role, string? invitedBy, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        var invitation = new Invitation
        {
            Id = AccountStore.NewId("inv_"),
            AccountId = accountId,
            Email = AccountStore.NormalizeEmail(email),
            Role = role,
            TokenHash = Hash(token),
            InvitedBy = invitedBy,
            CreatedAt = UnixTime.Of(now),
            ExpiresAt = UnixTime.Of(now + lifetime),
        };
        await db.ExecuteAsync("""
            INSERT INTO invitations (id, account_id, email, role, token_hash, invited_by, created_at, expires_at)
            VALUES (@Id, @AccountId, @Email, @Role, @TokenHash, @InvitedBy, @CreatedAt, @ExpiresAt)
            """, invitation, cancellationToken);
        return (invitation, token);
    }

    public Task<IReadOnlyList<Invitation>> ListAsync(string accountId, CancellationToken cancellationToken) => db.QueryAsync<Invitation>(
        "SELECT * FROM invitations WHERE account_id = @accountId ORDER BY created_at, id", new { accountId }, cancellationToken);

    public Task<Invitation?> FindByTokenAsync(string token, CancellationToken cancellationToken) =>
        db.SingleAsync<Invitation>("SELECT * FROM invitations WHERE token_hash = @hash", new { hash = Hash(token) }, cancellationToken);

    public async Task<bool> RevokeAsync(string accountId, string invitationId, CancellationToken cancellationToken) =>
        await db.ExecuteAsync("""
            UPDATE invitations SET revoked_at = @now WHERE id = @invitationId AND account_id = @accountId AND accepted_at IS NULL AND revoked_at IS NULL
            """, new { accountId, invitationId, now = UnixTime.Of(time.GetUtcNow()) }, cancellationToken) > 0;

    /// <summary>Marks a pending invitation accepted; false when another acceptance got there first.</summary>
    public async Task<bool> MarkAcceptedAsync(Invitation invitation, CancellationToken cancellationToken) =>
        await db.ExecuteAsync("""
            UPDATE invitations SET accepted_at = @now WHERE id = @Id AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > @now
            """, new { invitation.Id, now = UnixTime.Of(time.GetUtcNow()) }, cancellationToken) > 0;

    static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}
