using System.Net.Mail;
using System.Text.RegularExpressions;
using DataPlatform.Billing.ApiKeys;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Accounts;

/// <summary>
/// The self-service account API that the developer portal calls: the caller and its profile, sign-up with an
/// e-mail confirmation, and sign-in. Signing in issues a short-lived session key in the ordinary key format, so the
/// gateway authenticates the portal exactly as it authenticates any program.
/// </summary>
public static partial class AccountApi
{
    public static RouteGroupBuilder MapAccountApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/account").WithTags("Account");
        group.MapGet("/", GetCaller)
            .WithName("GetCaller")
            .WithSummary("Who the gateway says is calling: the consumer, account, plan and roles of the request, with the account's profile.");
        group.MapPut("/profile", UpdateProfileAsync).AddEndpointFilter(BillingProblems.RequireCaller)
            .WithName("UpdateProfile").WithSummary("Changes the account's name and, for partner agencies, the organisation details.");
        group.MapPost("/sign-up", SignUpAsync)
            .WithName("SignUp").WithSummary(
                "Opens an account; a confirmation link is e-mailed (or logged when no mail server is configured). Answers 202 whether or not the address has an account already.");
        group.MapGet("/confirm", ConfirmAsync)
            .WithName("ConfirmEmail").WithSummary("Confirms a sign-up's e-mail address and activates the account.");
        group.MapPost("/sign-in", SignInAsync)
            .WithName("SignIn").WithSummary(
                "Checks an e-mail and password and issues a short-lived session API key for the portal; failed attempts lock the address (423) and the client (429) for a while.");
        group.MapPost("/sign-out", SignOutAsync).AddEndpointFilter(BillingProblems.RequireCaller)
            .WithName("SignOut").WithSummary("Ends a portal session (or all of the user's sessions): the session key is revoked on every gateway at once.");
        return group;
    }

    static async Task<Results<Ok<CallerView>, ProblemHttpResult>> GetCaller(
        HttpContext context, AccountStore accounts, SubscriptionStore subscriptions, TimeProvider time, CancellationToken cancellationToken)
    {
        var consumer = context.GetConsumer();
        if (consumer.IsAnonymous)
        {
            return BillingProblems.Unauthenticated();
        }

        // The gateway's word is what counts; the profile is added when billing knows the account.
        var account = await accounts.FindAsync(consumer.AccountId!, cancellationToken);
        var profile = account is null ? null : await ProfileAsync(account, accounts, subscriptions, time, cancellationToken);
        return TypedResults.Ok(new CallerView(consumer.ConsumerId, consumer.AccountId!, consumer.Plan, consumer.Roles, consumer.Entitlements, profile)
        {
            UserId = consumer.UserId,
        });
    }

    internal static async Task<AccountView> ProfileAsync(
        Account account, AccountStore accounts, SubscriptionStore subscriptions, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return AccountView.From(
            account,
            await subscriptions.PlanAtAsync(account.Id, now, cancellationToken),
            await subscriptions.ProductsAtAsync(account.Id, now, cancellationToken),
            await accounts.UsersAsync(account.Id, cancellationToken));
    }

    static async Task<Results<Ok<AccountView>, ProblemHttpResult>> UpdateProfileAsync(
        ProfileUpdate update, HttpContext context, AccountStore accounts, SubscriptionStore subscriptions, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(context.GetConsumer().AccountId!, cancellationToken);
        if (account is null)
        {
            return BillingProblems.NotFound("Billing has no account for this caller.");
        }

        if (!context.GetConsumer().HasRole(Roles.Owner) && !context.GetConsumer().HasRole(Roles.Admin))
        {
            return BillingProblems.Forbidden("Only the account's owner may change its profile.");
        }

        if (string.IsNullOrWhiteSpace(update.Name))
        {
            return BillingProblems.Invalid("'name' is required.");
        }

        if (update.Organisation is not null && ValidateOrganisation(update.Organisation) is { } problem)
        {
            return BillingProblems.Invalid(problem);
        }

        await accounts.UpdateProfileAsync(account.Id, update.Name.Trim(), update.Organisation, cancellationToken);
        return TypedResults.Ok(await ProfileAsync((await accounts.FindAsync(account.Id, cancellationToken))!, accounts, subscriptions, time, cancellationToken));
    }

    static async Task<Results<Accepted<SignUpResult>, ProblemHttpResult>> SignUpAsync(
        SignUpRequest request, AccountStore accounts, SubscriptionStore subscriptions, AccountMailer mailer,
        CancellationToken cancellationToken)
    {
        if (ValidateSignUp(request) is { } problem)
        {
            return BillingProblems.Invalid(problem);
        }

        // The answer is the same whether or not the address has an account, so sign-up cannot be used to find out who
        // is registered; the holder of a known address is told by mail instead (as GitHub and Stripe do).
        var accepted = TypedResults.Accepted("/api/v1/account", new SignUpResult(AccountStore.NormalizeEmail(request.Email),
            "Open the link sent to your e-mail address to activate the account."));
        var existing = await accounts.FindUserByEmailAsync(request.Email, cancellationToken);
        if (existing is null)
        {
            try
            {
                var (account, owner, token) = await accounts.CreateAsync(new NewAccount(
                    request.Kind, (request.Name ?? request.Organisation?.Name ?? request.DisplayName).Trim(), request.Organisation,
                    request.Email, request.DisplayName.Trim(), request.Password, [Roles.Owner], EmailConfirmed: false), cancellationToken);
                await subscriptions.ChangePlanAsync(account.Id, request.Kind == AccountKinds.Partner ? "partner" : "free", cancellationToken);
                await mailer.SendConfirmationAsync(owner.Email, token!, cancellationToken);
                return accepted;
            }
            catch (System.Data.Common.DbException)
            {
                // A second sign-up with the same address won the race for the unique e-mail; treat this one as a repeat.
                existing = await accounts.FindUserByEmailAsync(request.Email, cancellationToken) ?? throw new InvalidOperationException(
                    "Creating the account failed, and no user has the address.");
            }
        }
        else
        {
            accounts.HashAnyway(request.Password);
        }

        await mailer.SendSignUpAttemptAsync(existing.Email, cancellationToken);
        return accepted;
    }

    static async Task<Results<Ok<ConfirmResult>, ProblemHttpResult>> ConfirmAsync(
        string? token, AccountStore accounts, DescriptorPublisher publisher, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return BillingProblems.Invalid("The 'token' query parameter is required.");
        }

        var user = await accounts.ConfirmEmailAsync(token, cancellationToken);
        if (user is null)
        {
            return BillingProblems.NotFound("This confirmation link is unknown or was used already.");
        }

        await publisher.PublishAccountAsync(user.AccountId, cancellationToken);
        return TypedResults.Ok(new ConfirmResult(user.AccountId, user.Email, "The e-mail address is confirmed. You can sign in now."));
    }

    static async Task<Results<Ok<SessionResult>, ProblemHttpResult>> SignInAsync(
        SignInRequest request, HttpContext context, AccountStore accounts, ApiKeyStore keys, DescriptorPublisher publisher,
        SignInThrottle throttle, IOptions<ApiKeyOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password))
        {
            return BillingProblems.Invalid("'email' and 'password' are required.");
        }

        // The gateway's word for the client address; a direct call (tests, an operator) falls back to the connection's.
        var clientIp = context.GetConsumer().ClientIp;
        var blocked = await throttle.BlockedForAsync(request.Email, clientIp, cancellationToken);
        if (Throttled(context, blocked) is { } refusal)
        {
            return refusal;
        }

        var user = await accounts.VerifyPasswordAsync(request.Email, request.Password, cancellationToken);
        if (user is null)
        {
            blocked = await throttle.RecordFailureAsync(request.Email, clientIp, cancellationToken);
            return Throttled(context, blocked) ?? TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed",
                detail: "The e-mail address or the password is wrong.", type: "/problems/sign-in-failed");
        }

        await throttle.ResetAsync(request.Email, cancellationToken);
        if (user.EmailConfirmed == 0)
        {
            return BillingProblems.Forbidden("Confirm your e-mail address first: open the link sent at sign-up.");
        }

        var account = await accounts.FindAsync(user.AccountId, cancellationToken);
        if (account is null || account.Status == AccountStatuses.Closed)
        {
            return BillingProblems.Forbidden("The account is closed.");
        }

        var expiresAt = time.GetUtcNow() + options.Value.SessionLifetime;
        var (record, key) = await keys.CreateAsync(account.Id, user.Id, "portal session", ApiKeyKinds.Session, expiresAt, null, cancellationToken);
        await publisher.PublishAccountAsync(account.Id, cancellationToken);
        return TypedResults.Ok(new SessionResult(key, record.Id, account.Id, user.Id, user.RoleList, expiresAt));
    }

    /// <summary>
    /// 429 when the client has failed too often (whatever the address), 423 when the address is locked; each with
    /// Retry-After in seconds, as Identity's lockout and RFC 9110 describe.
    /// </summary>
    static ProblemHttpResult? Throttled(HttpContext context, (TimeSpan? Client, TimeSpan? Email) blocked)
    {
        if (blocked.Client is { } clientWait)
        {
            context.Response.Headers.RetryAfter = Seconds(clientWait);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed sign-ins",
                detail: $"Too many failed sign-ins came from your address. Try again in {Seconds(clientWait)} seconds.",
                type: "/problems/too-many-sign-ins", extensions: new Dictionary<string, object?> { ["retryAfter"] = (long)Math.Ceiling(clientWait.TotalSeconds) });
        }

        if (blocked.Email is { } emailWait)
        {
            context.Response.Headers.RetryAfter = Seconds(emailWait);
            return TypedResults.Problem(statusCode: StatusCodes.Status423Locked, title: "Sign-in locked",
                detail: $"Too many failed sign-ins for this e-mail address in a row; it is locked for {Seconds(emailWait)} seconds. Try again then.",
                type: "/problems/sign-in-locked", extensions: new Dictionary<string, object?> { ["retryAfter"] = (long)Math.Ceiling(emailWait.TotalSeconds) });
        }

        return null;
    }

    static string Seconds(TimeSpan wait) => Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Ends a portal session: its key is revoked at once on every gateway. The session is the key the call was made
    /// with (when the gateway names it) or the one named in the body; <c>everywhere</c> ends all of the user's sessions.
    /// </summary>
    static async Task<Results<NoContent, ProblemHttpResult>> SignOutAsync(
        SignOutRequest? request, HttpContext context, ApiKeyStore keys, DescriptorPublisher publisher, CancellationToken cancellationToken)
    {
        var consumer = context.GetConsumer();
        var accountId = consumer.AccountId!;
        var sessions = (await keys.ListAsync(accountId, cancellationToken))
            .Where(k => k.Kind == ApiKeyKinds.Session && k.RevokedAt is null && (consumer.UserId is null || k.UserId == consumer.UserId))
            .ToList();
        List<ApiKey> ending;
        if (request?.Everywhere == true)
        {
            if (consumer.UserId is null)
            {
                return BillingProblems.Invalid("Signing out everywhere needs a session of a user; name the session with 'keyId' instead.");
            }

            ending = sessions;
        }
        else
        {
            var keyId = request?.KeyId ?? consumer.KeyId;
            if (keyId is null)
            {
                return BillingProblems.Invalid("Name the session to end with 'keyId' (from the sign-in answer).");
            }

            var session = sessions.FirstOrDefault(k => k.Id == keyId);
            if (session is null)
            {
                return BillingProblems.NotFound($"There is no open portal session '{keyId}' of this caller.");
            }

            ending = [session];
        }

        foreach (var session in ending)
        {
            await keys.RevokeAsync(session, cancellationToken);
        }

        await publisher.PublishAccountAsync(accountId, cancellationToken);
        return TypedResults.NoContent();
    }

    static string? ValidateSignUp(SignUpRequest request)
    {
        if (!AccountKinds.IsValid(request.Kind))
        {
            return $"'kind' must be '{AccountKinds.Individual}' or '{AccountKinds.Partner}'.";
        }

        if (!IsEmail(request.Email))
        {
            return "'email' must be an e-mail address.";
        }

        if (request.Password is null || request.Password.Length < 10)
        {
            return "'password' must have at least 10 characters.";
        }

        if (string.IsNullOrWhiteSpace(request.DisplayName))
        {
            return "'displayName' is required.";
        }

        if (request.Kind == AccountKinds.Partner)
        {
            return request.Organisation is null
                ? "A partner account needs 'organisation' with 'name', 'taxCode', 'billingContactName' and 'billingContactEmail'."
                : ValidateOrganisation(request.Organisation);
        }

        return null;
    }

    internal static string? ValidateOrganisation(Organisation organisation)
    {
        if (string.IsNullOrWhiteSpace(organisation.Name) || string.IsNullOrWhiteSpace(organisation.BillingContactName))
        {
            return "'organisation.name' and 'organisation.billingContactName' are required.";
        }

        if (organisation.TaxCode is null || !TaxCodePattern().IsMatch(organisation.TaxCode))
        {
            return "'organisation.taxCode' must be a Vietnamese tax code: 10 digits, or 10 digits, a hyphen and 3 digits for a branch.";
        }

        return IsEmail(organisation.BillingContactEmail) ? null : "'organisation.billingContactEmail' must be an e-mail address.";
    }

    internal static bool IsEmail(string? value) => !string.IsNullOrWhiteSpace(value) && MailAddress.TryCreate(value, out var address) && address.Address == value.Trim();

    [GeneratedRegex(@"^\d{10}(-\d{3})?$")]
    private static partial Regex TaxCodePattern();

    /// <summary>The caller of a request, as the gateway established it, and the account's profile when billing knows it.</summary>
    internal sealed record CallerView(
        string ConsumerId, string AccountId, string? Plan, IReadOnlyList<string> Roles, IReadOnlyList<string> Entitlements,
        AccountView? Profile = null)
    {
        /// <summary>The signed-in user, when the gateway names one.</summary>
        public string? UserId { get; init; }
    }

    internal sealed record ProfileUpdate(string Name, Organisation? Organisation);

    internal sealed record SignUpRequest(string Kind, string Email, string Password, string DisplayName, string? Name, Organisation? Organisation);

    internal sealed record SignUpResult(string Email, string Next);

    internal sealed record ConfirmResult(string AccountId, string Email, string Message);

    internal sealed record SignInRequest(string Email, string Password);

    internal sealed record SessionResult(string Key, string KeyId, string AccountId, string UserId, IReadOnlyList<string> Roles, DateTimeOffset ExpiresAt);

    internal sealed record SignOutRequest(string? KeyId, bool? Everywhere);
}
