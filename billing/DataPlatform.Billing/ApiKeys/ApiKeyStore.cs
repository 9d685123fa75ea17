using DataPlatform.Billing.Storage;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Billing.ApiKeys;

/// <summary>The kinds of key: ones people create for their programs, and the short-lived ones portal sign-in issues.</summary>
static class ApiKeyKinds
{
    public const string Api = "api";
    public const string Session = "session";
}

sealed class ApiKey
{
    public string Id { get; set; } = "";
    public string AccountId { get; set; } = "";
    public string? UserId { get; set; }
    public string Name { get; set; } = "";
    public string Kind { get; set; } = ApiKeyKinds.Api;
    public string KeyHash { get; set; } = "";
    public string Hint { get; set; } = "";
    public long CreatedAt { get; set; }
    public long? ExpiresAt { get; set; }
    public long? RevokedAt { get; set; }
    public string? ReplacedBy { get; set; }

    /// <summary>The roles the key was given when made (its creator's, never more), or <c>null</c> to follow its user's roles.</summary>
    public string? Roles { get; set; }

    public IReadOnlyList<string>? GrantedRoles => Roles?.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A key as lists show it: never the key itself, only its first characters.</summary>
sealed record ApiKeyView(
    string Id, string Name, string Kind, string Hint, string? UserId, IReadOnlyList<string>? Roles, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string? ReplacedBy, string Status)
{
    public static ApiKeyView From(ApiKey key, DateTimeOffset now) => new(
        key.Id, key.Name, key.Kind, key.Hint, key.UserId, key.GrantedRoles, UnixTime.At(key.CreatedAt), UnixTime.At(key.ExpiresAt),
        UnixTime.At(key.RevokedAt), key.ReplacedBy,
        key.RevokedAt is not null ? "revoked" : key.ExpiresAt is { } e && e <= UnixTime.Of(now) ? "expired" : "active");
}

/// <summary>A key just created: the only time the key is shown.</summary>
sealed record IssuedApiKey(string Key, ApiKeyView Details);

/// <summary>API keys, stored only as the SHA-256 of the key (<see cref="ApiKeyFormat.Hash"/>).</summary>
sealed class ApiKeyStore(BillingDb db, TimeProvider time)
{
    /// <summary>
    /// Makes a key held by <paramref name="userId"/> (or by the account as a whole) that carries <paramref name="roles"/>,
    /// narrowed at every descriptor write to what its user still holds; <c>null</c> roles follow the user's roles.
    /// </summary>
    public async Task<(ApiKey Record, string Key)> CreateAsync(
        string accountId, string? userId, string name, string kind, DateTimeOffset? expiresAt, IReadOnlyList<string>? roles,
        CancellationToken cancellationToken)
    {
        var key = ApiKeyFormat.Generate();
        var record = new ApiKey
        {
            Id = Accounts.AccountStore.NewId("key_"),
            AccountId = accountId,
            UserId = userId,
            Name = name,
            Kind = kind,
            KeyHash = ApiKeyFormat.Hash(key),
            Hint = ApiKeyFormat.Hint(key),
            CreatedAt = UnixTime.Of(time.GetUtcNow()),
            ExpiresAt = expiresAt is { } e ? UnixTime.Of(e) : null,
            Roles = roles is null ? null : string.Join(',', roles.Distinct()),
        };
        await db.ExecuteAsync("""
            INSERT INTO api_keys (id, account_id, user_id, name, kind, key_hash, hint, created_at, expires_at, roles)
            VALUES (@Id, @AccountId, @UserId, @Name, @Kind, @KeyHash, @Hint, @CreatedAt, @ExpiresAt, @Roles)
            """, record, cancellationToken);
        return (record, key);
    }

    public Task<IReadOnlyList<ApiKey>> ListAsync(string accountId, CancellationToken cancellationToken) => db.QueryAsync<ApiKey>(
        "SELECT * FROM api_keys WHERE account_id = @accountId ORDER BY created_at, id", new { accountId }, cancellationToken);

    public Task<IReadOnlyList<ApiKey>> AllAsync(CancellationToken cancellationToken) =>
        db.QueryAsync<ApiKey>("SELECT * FROM api_keys ORDER BY account_id", null, cancellationToken);

    public Task<ApiKey?> FindAsync(string accountId, string keyId, CancellationToken cancellationToken) => db.SingleAsync<ApiKey>(
        "SELECT * FROM api_keys WHERE account_id = @accountId AND id = @keyId", new { accountId, keyId }, cancellationToken);

    public async Task RevokeAsync(ApiKey key, CancellationToken cancellationToken) =>
        await db.ExecuteAsync("UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL",
            new { id = key.Id, now = UnixTime.Of(time.GetUtcNow()) }, cancellationToken);

    /// <summary>
    /// Issues a successor with the same name, kind and expiry, and lets the old key expire after
    /// <paramref name="overlap"/> (or at its own expiry, if sooner), so running programs can switch over.
    /// </summary>
    public async Task<(ApiKey Record, string Key)> RotateAsync(ApiKey old, TimeSpan overlap, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var successor = await CreateAsync(old.AccountId, old.UserId, old.Name, old.Kind, UnixTime.At(old.ExpiresAt), old.GrantedRoles, cancellationToken);
        var oldExpiry = UnixTime.Of(now + overlap);
        await db.ExecuteAsync("""
            UPDATE api_keys SET replaced_by = @successor, expires_at = CASE WHEN expires_at IS NULL OR expires_at > @oldExpiry THEN @oldExpiry ELSE expires_at END
            WHERE id = @id
            """, new { id = old.Id, successor = successor.Record.Id, oldExpiry }, cancellationToken);
        return successor;
    }
}
