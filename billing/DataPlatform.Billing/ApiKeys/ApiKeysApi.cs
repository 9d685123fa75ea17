using DataPlatform.Billing.Accounts;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ConsumerContextRecord = DataPlatform.Contracts.ConsumerContext.ConsumerContext;

namespace DataPlatform.Billing.ApiKeys;

/// <summary>
/// API keys of the calling account (<c>/api/v1/account/keys</c>) and, for admins, of any account
/// (<c>/api/v1/admin/accounts/{accountId}/keys</c>). A key is shown once, when created or rotated.
/// </summary>
public static class ApiKeysApi
{
    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var own = app.MapGroup("/api/v1/account/keys").WithTags("Account keys").AddEndpointFilter(BillingProblems.RequireCaller);
        own.MapGet("/", ListOwnAsync)
            .WithName("ListOwnKeys").WithSummary("The account's API keys (an owner sees all of them, a member their own), without the keys themselves.");
        own.MapPost("/", CreateOwnAsync)
            .WithName("CreateOwnKey").WithSummary(
                "Creates an API key with a name and an optional expiry, carrying the creator's roles and never more; the key is shown only in this answer.");
        own.MapPost("/{keyId}/rotate", (string keyId, HttpContext context, KeyServices services, CancellationToken cancellationToken) =>
                ManageOwnAsync(keyId, context, services, RotateAsync, cancellationToken))
            .WithName("RotateOwnKey").WithSummary("Issues a successor key; the old one keeps working for the configured overlap. Members rotate only their own keys.");
        own.MapDelete("/{keyId}", (string keyId, HttpContext context, KeyServices services, CancellationToken cancellationToken) =>
                ManageOwnAsync(keyId, context, services, RevokeAsync, cancellationToken))
            .WithName("RevokeOwnKey").WithSummary("Revokes a key at once on every gateway instance. Members revoke only their own keys.");

        var admin = app.MapGroup("/api/v1/admin/accounts/{accountId}/keys").WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin);
        admin.MapGet("/", (string accountId, ApiKeyStore keys, TimeProvider time, CancellationToken cancellationToken) =>
                ListAsync(accountId, keys, time, cancellationToken))
            .WithName("ListAccountKeys").WithSummary("An account's API keys.");
        admin.MapPost("/", (string accountId, NewKeyRequest request, KeyServices services, CancellationToken cancellationToken) =>
                CreateForAccountAsync(accountId, request, services, cancellationToken))
            .WithName("CreateAccountKey").WithSummary("Creates an API key for an account.");
        admin.MapPost("/{keyId}/rotate", (string accountId, string keyId, KeyServices services, CancellationToken cancellationToken) =>
                RotateAsync(accountId, keyId, services, cancellationToken))
            .WithName("RotateAccountKey").WithSummary("Rotates an account's key.");
        admin.MapDelete("/{keyId}", (string accountId, string keyId, KeyServices services, CancellationToken cancellationToken) =>
                RevokeAsync(accountId, keyId, services, cancellationToken))
            .WithName("RevokeAccountKey").WithSummary("Revokes an account's key.");
        app.MapPost("/api/v1/admin/keys/resync", ResyncAsync).WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin)
            .WithName("ResyncKeys").WithSummary("Rewrites every key descriptor in Redis from the database and removes unknown ones.");
        return app;
    }

    static async Task<Ok<ResyncResult>> ResyncAsync(DescriptorPublisher publisher, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ResyncResult(await publisher.ResyncAllAsync(removeUnknown: true, cancellationToken)));

    internal sealed record ResyncResult(int Written);

    static async Task<Ok<IReadOnlyList<ApiKeyView>>> ListAsync(string accountId, ApiKeyStore keys, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return TypedResults.Ok<IReadOnlyList<ApiKeyView>>((await keys.ListAsync(accountId, cancellationToken)).Select(k => ApiKeyView.From(k, now)).ToList());
    }

    /// <summary>Owners manage every key of the account; members (and callers with no account role) only the keys they hold.</summary>
    static bool MayManage(ConsumerContextRecord caller, ApiKey key) =>
        AccountPermissions.IsOwner(caller) || (caller.UserId is not null && key.UserId == caller.UserId);

    static async Task<Ok<IReadOnlyList<ApiKeyView>>> ListOwnAsync(HttpContext context, ApiKeyStore keys, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = context.GetConsumer();
        var now = time.GetUtcNow();
        return TypedResults.Ok<IReadOnlyList<ApiKeyView>>((await keys.ListAsync(caller.AccountId!, cancellationToken))
            .Where(k => MayManage(caller, k)).Select(k => ApiKeyView.From(k, now)).ToList());
    }

    static async Task<Results<Created<IssuedApiKey>, ProblemHttpResult>> CreateOwnAsync(
        NewKeyRequest request, HttpContext context, KeyServices services, CancellationToken cancellationToken)
    {
        var caller = context.GetConsumer();
        var user = caller.UserId is null ? null : await services.Accounts.FindUserAsync(caller.UserId, cancellationToken);
        if (user is not null && user.AccountId != caller.AccountId)
        {
            user = null;
        }

        // A key held by a user carries that user's roles as they stand at each descriptor write: a member's key is a
        // member's key, whoever else is in the account. When the gateway does not name the user, the key keeps the
        // roles of the call that made it (never more), narrowed to the roles someone in the account still holds.
        return await CreateAsync(caller.AccountId!, request, user?.Id, user is null ? caller.Roles : null, services, cancellationToken);
    }

    static async Task<Results<Ok<IssuedApiKey>, Ok<ApiKeyView>, ProblemHttpResult>> ManageOwnAsync(
        string keyId, HttpContext context, KeyServices services,
        Func<string, string, KeyServices, CancellationToken, Task<Results<Ok<IssuedApiKey>, Ok<ApiKeyView>, ProblemHttpResult>>> action,
        CancellationToken cancellationToken)
    {
        var caller = context.GetConsumer();
        var key = await services.Keys.FindAsync(caller.AccountId!, keyId, cancellationToken);
        if (key is null)
        {
            return BillingProblems.NotFound($"The account has no key '{keyId}'.");
        }

        return MayManage(caller, key)
            ? await action(caller.AccountId!, keyId, services, cancellationToken)
            : BillingProblems.Forbidden("Members manage only the keys they made; the account's owner manages the others.");
    }

    static async Task<Results<Created<IssuedApiKey>, ProblemHttpResult>> CreateForAccountAsync(
        string accountId, NewKeyRequest request, KeyServices services, CancellationToken cancellationToken)
    {
        // An admin making a key for an account makes it for the account's first owner, with that owner's roles.
        var owner = await services.Accounts.OwnerAsync(accountId, cancellationToken);
        return await CreateAsync(accountId, request, owner?.Id, null, services, cancellationToken);
    }

    static async Task<Results<Created<IssuedApiKey>, ProblemHttpResult>> CreateAsync(
        string accountId, NewKeyRequest request, string? userId, IReadOnlyList<string>? roles, KeyServices services, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            return BillingProblems.Invalid("'name' is required and at most 100 characters long.");
        }

        var now = services.Time.GetUtcNow();
        if (request.ExpiresAt is { } expiry && expiry <= now)
        {
            return BillingProblems.Invalid("'expiresAt' must be in the future.");
        }

        var account = await services.Accounts.FindAsync(accountId, cancellationToken);
        if (account is null)
        {
            return BillingProblems.NotFound($"There is no account '{accountId}'.");
        }

        if (account.Status is AccountStatuses.Closed or AccountStatuses.Pending)
        {
            return BillingProblems.Conflict($"The account is {account.Status}; it cannot have new keys.");
        }

        var (record, key) = await services.Keys.CreateAsync(accountId, userId, request.Name.Trim(), ApiKeyKinds.Api, request.ExpiresAt, roles, cancellationToken);
        await services.Publisher.PublishAccountAsync(accountId, cancellationToken);
        return TypedResults.Created($"/api/v1/account/keys/{record.Id}", new IssuedApiKey(key, ApiKeyView.From(record, now)));
    }

    static async Task<Results<Ok<IssuedApiKey>, Ok<ApiKeyView>, ProblemHttpResult>> RotateAsync(
        string accountId, string keyId, KeyServices services, CancellationToken cancellationToken)
    {
        var old = await services.Keys.FindAsync(accountId, keyId, cancellationToken);
        if (old is null)
        {
            return BillingProblems.NotFound($"The account has no key '{keyId}'.");
        }

        if (old.RevokedAt is not null || old.ReplacedBy is not null)
        {
            return BillingProblems.Conflict("This key is revoked or rotated already; rotate its successor instead.");
        }

        var (record, key) = await services.Keys.RotateAsync(old, services.Options.Value.RotationOverlap, cancellationToken);
        await services.Publisher.PublishAccountAsync(accountId, cancellationToken);
        return TypedResults.Ok(new IssuedApiKey(key, ApiKeyView.From(record, services.Time.GetUtcNow())));
    }

    static async Task<Results<Ok<IssuedApiKey>, Ok<ApiKeyView>, ProblemHttpResult>> RevokeAsync(
        string accountId, string keyId, KeyServices services, CancellationToken cancellationToken)
    {
        var key = await services.Keys.FindAsync(accountId, keyId, cancellationToken);
        if (key is null)
        {
            return BillingProblems.NotFound($"The account has no key '{keyId}'.");
        }

        await services.Keys.RevokeAsync(key, cancellationToken);
        await services.Publisher.PublishAccountAsync(accountId, cancellationToken);
        var revoked = await services.Keys.FindAsync(accountId, keyId, cancellationToken);
        return TypedResults.Ok(ApiKeyView.From(revoked!, services.Time.GetUtcNow()));
    }

    internal sealed record NewKeyRequest(string Name, DateTimeOffset? ExpiresAt);
}

/// <summary>What the key endpoints need, gathered so their handlers stay readable.</summary>
sealed class KeyServices(AccountStore accounts, ApiKeyStore keys, DescriptorPublisher publisher, IOptions<ApiKeyOptions> options, TimeProvider time)
{
    public AccountStore Accounts => accounts;
    public ApiKeyStore Keys => keys;
    public DescriptorPublisher Publisher => publisher;
    public IOptions<ApiKeyOptions> Options => options;
    public TimeProvider Time => time;
}
