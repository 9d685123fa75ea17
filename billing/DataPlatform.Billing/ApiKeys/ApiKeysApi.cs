using DataPlatform.Billing.Accounts;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

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
        own.MapGet("/", (HttpContext context, ApiKeyStore keys, TimeProvider time, CancellationToken cancellationToken) =>
                ListAsync(context.GetConsumer().AccountId!, keys, time, cancellationToken))
            .WithName("ListOwnKeys").WithSummary("The calling account's API keys, without the keys themselves.");
        own.MapPost("/", (NewKeyRequest request, HttpContext context, KeyServices services, CancellationToken cancellationToken) =>
                CreateAsync(context.GetConsumer().AccountId!, request, services, cancellationToken))
            .WithName("CreateOwnKey").WithSummary("Creates an API key with a name and an optional expiry; the key is shown only in this answer.");
        own.MapPost("/{keyId}/rotate", (string keyId, HttpContext context, KeyServices services, CancellationToken cancellationToken) =>
                RotateAsync(context.GetConsumer().AccountId!, keyId, services, cancellationToken))
            .WithName("RotateOwnKey").WithSummary("Issues a successor key; the old one keeps working for the configured overlap.");
        own.MapDelete("/{keyId}", (string keyId, HttpContext context, KeyServices services, CancellationToken cancellationToken) =>
                RevokeAsync(context.GetConsumer().AccountId!, keyId, services, cancellationToken))
            .WithName("RevokeOwnKey").WithSummary("Revokes a key at once on every gateway instance.");

        var admin = app.MapGroup("/api/v1/admin/accounts/{accountId}/keys").WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin);
        admin.MapGet("/", (string accountId, ApiKeyStore keys, TimeProvider time, CancellationToken cancellationToken) =>
                ListAsync(accountId, keys, time, cancellationToken))
            .WithName("ListAccountKeys").WithSummary("An account's API keys.");
        admin.MapPost("/", (string accountId, NewKeyRequest request, KeyServices services, CancellationToken cancellationToken) =>
                CreateAsync(accountId, request, services, cancellationToken))
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

    static async Task<Results<Created<IssuedApiKey>, ProblemHttpResult>> CreateAsync(
        string accountId, NewKeyRequest request, KeyServices services, CancellationToken cancellationToken)
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

        var owner = await services.Accounts.OwnerAsync(accountId, cancellationToken);
        var (record, key) = await services.Keys.CreateAsync(accountId, owner?.Id, request.Name.Trim(), ApiKeyKinds.Api, request.ExpiresAt, cancellationToken);
        await services.Publisher.PublishAccountAsync(accountId, cancellationToken);
        return TypedResults.Created($"/api/v1/account/keys/{record.Id}", new IssuedApiKey(key, ApiKeyView.From(record, now)));
    }

    static async Task<Results<Ok<IssuedApiKey>, ProblemHttpResult>> RotateAsync(
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

    static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> RevokeAsync(
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
