namespace DataPlatform.Portal.Api;

// The account half of the public API (billing's /api/v1/account/…), called as any client calls it: sign-up,
// confirmation, sign-in and password reset anonymously, the rest with the signed-in person's session key. Keys and
// passwords travel only in request and response bodies, never in a URL.
internal sealed partial class GatewayClient
{
    public Task SignUpAsync(string email, string password, string displayName, CancellationToken cancellationToken) =>
        PostAsync("api/v1/account/sign-up", new { kind = "individual", email, password, displayName }, cancellationToken);

    public async Task ConfirmEmailAsync(string token, CancellationToken cancellationToken) =>
        await GetJsonAsync<ConfirmationView>("api/v1/account/confirm?token=" + Uri.EscapeDataString(token), cancellationToken);

    public async Task<SessionView> SignInAsync(string email, string password, CancellationToken cancellationToken) =>
        (await PostAsync<SessionView>("api/v1/account/sign-in", new { email, password }, cancellationToken))!;

    /// <summary>Ends the session the call is made with: its key is revoked on every gateway.</summary>
    public Task SignOutAsync(CancellationToken cancellationToken) => PostAsync("api/v1/account/sign-out", new { }, cancellationToken);

    public Task RequestPasswordResetAsync(string email, CancellationToken cancellationToken) =>
        PostAsync("api/v1/account/password-reset", new { email }, cancellationToken);

    public Task CompletePasswordResetAsync(string token, string password, CancellationToken cancellationToken) =>
        PostAsync("api/v1/account/password-reset/complete", new { token, password }, cancellationToken);

    public async Task<CallerView> GetCallerAsync(CancellationToken cancellationToken) =>
        (await GetJsonAsync<CallerView>("api/v1/account", cancellationToken))!;

    public async Task<IReadOnlyList<PlanView>> ListPlansAsync(CancellationToken cancellationToken) =>
        await GetJsonAsync<List<PlanView>>("api/v1/account/plans", cancellationToken) ?? [];

    /// <summary>This month's usage (the API's default period), by <paramref name="groupBy"/> (<c>day</c> or <c>product</c>).</summary>
    public async Task<UsageView> GetUsageAsync(string groupBy, CancellationToken cancellationToken) =>
        (await GetJsonAsync<UsageView>("api/v1/account/usage?groupBy=" + Uri.EscapeDataString(groupBy), cancellationToken))!;

    public async Task<IReadOnlyList<KeyView>> ListKeysAsync(CancellationToken cancellationToken) =>
        await GetJsonAsync<List<KeyView>>("api/v1/account/keys", cancellationToken) ?? [];

    public async Task<IssuedKeyView> CreateKeyAsync(string name, CancellationToken cancellationToken) =>
        (await PostAsync<IssuedKeyView>("api/v1/account/keys", new { name }, cancellationToken))!;

    public async Task<IssuedKeyView> RotateKeyAsync(string keyId, CancellationToken cancellationToken) =>
        (await PostAsync<IssuedKeyView>("api/v1/account/keys/" + Uri.EscapeDataString(keyId) + "/rotate", new { }, cancellationToken))!;

    public async Task RevokeKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Delete, "api/v1/account/keys/" + Uri.EscapeDataString(keyId));
        using var response = await http.SendAsync(request, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
    }

    async Task PostAsync(string path, object body, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, path);
        request.Content = JsonContent.Create(body, options: _json);
        using var response = await http.SendAsync(request, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
    }

    async Task<T?> PostAsync<T>(string path, object body, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, path);
        request.Content = JsonContent.Create(body, options: _json);
        using var response = await http.SendAsync(request, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(_json, cancellationToken);
    }
}

internal sealed record ConfirmationView(string AccountId, string Email, string Message);

internal sealed record SessionView(string Key, string KeyId, string AccountId, string UserId, IReadOnlyList<string> Roles, DateTimeOffset ExpiresAt);

internal sealed record AccountUserView(string Id, string Email, string DisplayName, bool EmailConfirmed, IReadOnlyList<string> Roles);

internal sealed record AccountProfileView(string Id, string Kind, string Name, string Status, string? PlanId, IReadOnlyList<string> Products, IReadOnlyList<AccountUserView> Users);

internal sealed record CallerView(string ConsumerId, string AccountId, string? Plan, IReadOnlyList<string> Roles, AccountProfileView? Profile, string? UserId);

/// <summary>A plan as the public list shows it; a quota of 0 means none.</summary>
internal sealed record PlanView(string Id, string Name, int BurstPerSecond, int RequestsPerMinute, long MonthlyRequests, long MonthlyBytes, long MonthlyFee);

internal sealed record UsageBucketView(string Bucket, long Requests, long Bytes);

internal sealed record UsageView(DateTimeOffset From, DateTimeOffset To, string GroupBy, long Requests, long Bytes, IReadOnlyList<UsageBucketView> Buckets);

internal sealed record KeyView(
    string Id, string Name, string Kind, string Hint, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt,
    string? ReplacedBy, string Status, DateTimeOffset? LastUsedAt)
{
    public bool IsSession => Kind == "session";
}

internal sealed record IssuedKeyView(string Key, KeyView Details);
