using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.ApiKeys;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Stripe;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DataPlatform.Billing.Subscriptions;

/// <summary>
/// An account's plan and data products: <c>/api/v1/account/subscription</c> for the caller, and
/// <c>/api/v1/admin/accounts/{accountId}/subscription</c> for admins. Every change rewrites the account's key
/// descriptors, so limits and entitlements change at the gateway at once.
/// </summary>
public static class SubscriptionsApi
{
    public static IEndpointRouteBuilder MapSubscriptionsApi(this IEndpointRouteBuilder app)
    {
        var own = app.MapGroup("/api/v1/account/subscription").WithTags("Account subscription").AddEndpointFilter(BillingProblems.RequireCaller);
        Map(own, context => context.GetConsumer().AccountId!, "Own");
        var admin = app.MapGroup("/api/v1/admin/accounts/{accountId}/subscription").WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin);
        Map(admin, context => (string)context.Request.RouteValues["accountId"]!, "Account");
        return app;
    }

    static void Map(RouteGroupBuilder group, Func<HttpContext, string> accountOf, string suffix)
    {
        group.MapGet("/", (HttpContext context, SubscriptionServices services, CancellationToken cancellationToken) =>
                GetAsync(accountOf(context), services, cancellationToken))
            .WithName("GetSubscription" + suffix).WithSummary("The current plan, data products and the history of subscriptions.");
        group.MapPut("/plan", (PlanChange change, HttpContext context, SubscriptionServices services, CancellationToken cancellationToken) =>
                ChangePlanAsync(accountOf(context), change, context.GetConsumer(), services, cancellationToken))
            .WithName("ChangePlan" + suffix).WithSummary("Upgrades or downgrades now; both plans' fees are prorated on the month's invoice.");
        group.MapPost("/cancel", (HttpContext context, SubscriptionServices services, CancellationToken cancellationToken) =>
                CancelAsync(accountOf(context), context.GetConsumer(), services, cancellationToken))
            .WithName("CancelSubscription" + suffix).WithSummary("Cancels the plan and products at the end of the current period.");
        group.MapPost("/products", (ProductChange change, HttpContext context, SubscriptionServices services, CancellationToken cancellationToken) =>
                SubscribeProductAsync(accountOf(context), change, context.GetConsumer(), services, cancellationToken))
            .WithName("SubscribeProduct" + suffix).WithSummary("Subscribes a partner account to a data product, prorated from today.");
        group.MapDelete("/products/{productId}", (string productId, HttpContext context, SubscriptionServices services, CancellationToken cancellationToken) =>
                UnsubscribeProductAsync(accountOf(context), productId, context.GetConsumer(), services, cancellationToken))
            .WithName("UnsubscribeProduct" + suffix).WithSummary("Ends a product subscription at the end of the current period.");
    }

    static async Task<Results<Ok<SubscriptionSummary>, ProblemHttpResult>> GetAsync(
        string accountId, SubscriptionServices services, CancellationToken cancellationToken)
    {
        if (await services.Accounts.FindAsync(accountId, cancellationToken) is null)
        {
            return BillingProblems.NotFound($"There is no account '{accountId}'.");
        }

        return TypedResults.Ok(await SummaryAsync(accountId, services, cancellationToken));
    }

    static async Task<SubscriptionSummary> SummaryAsync(string accountId, SubscriptionServices services, CancellationToken cancellationToken)
    {
        var now = services.Time.GetUtcNow();
        var period = BillingPeriod.Containing(now);
        return new SubscriptionSummary(
            (await services.Subscriptions.PlanAtAsync(accountId, now, cancellationToken)) ?? PlanStore.DefaultPlanId,
            await services.Subscriptions.ProductsAtAsync(accountId, now, cancellationToken),
            period.ToString(), period.Start, period.End,
            (await services.Subscriptions.ListAsync(accountId, cancellationToken)).Select(SubscriptionView.From).ToList());
    }

    static async Task<Results<Ok<SubscriptionSummary>, ProblemHttpResult>> ChangePlanAsync(
        string accountId, PlanChange change, Contracts.ConsumerContext.ConsumerContext caller, SubscriptionServices services,
        CancellationToken cancellationToken)
    {
        if (await CheckAsync(accountId, caller, services, cancellationToken) is { } problem)
        {
            return problem;
        }

        if (await services.Plans.FindPlanAsync(change.PlanId ?? "", cancellationToken) is null)
        {
            var known = string.Join(", ", (await services.Plans.ListPlansAsync(cancellationToken)).Select(p => p.Id));
            return BillingProblems.Invalid($"There is no plan '{change.PlanId}'. Plans: {known}.");
        }

        await services.Subscriptions.ChangePlanAsync(accountId, change.PlanId!, cancellationToken);
        await services.Publisher.PublishAccountAsync(accountId, cancellationToken);
        await services.SyncStripeAsync(accountId, cancellationToken);
        return TypedResults.Ok(await SummaryAsync(accountId, services, cancellationToken));
    }

    static async Task<Results<Ok<SubscriptionSummary>, ProblemHttpResult>> CancelAsync(
        string accountId, Contracts.ConsumerContext.ConsumerContext caller, SubscriptionServices services, CancellationToken cancellationToken)
    {
        if (await CheckAsync(accountId, caller, services, cancellationToken) is { } problem)
        {
            return problem;
        }

        await services.Subscriptions.CancelAtPeriodEndAsync(accountId, cancellationToken);
        await services.Publisher.PublishAccountAsync(accountId, cancellationToken);
        await services.SyncStripeAsync(accountId, cancellationToken);
        return TypedResults.Ok(await SummaryAsync(accountId, services, cancellationToken));
    }

    static async Task<Results<Ok<SubscriptionSummary>, ProblemHttpResult>> SubscribeProductAsync(
        string accountId, ProductChange change, Contracts.ConsumerContext.ConsumerContext caller, SubscriptionServices services,
        CancellationToken cancellationToken)
    {
        if (await CheckAsync(accountId, caller, services, cancellationToken) is { } problem)
        {
            return problem;
        }

        if (await services.Plans.FindProductAsync(change.ProductId ?? "", cancellationToken) is null)
        {
            return BillingProblems.Invalid($"There is no data product '{change.ProductId}'.");
        }

        var account = await services.Accounts.FindAsync(accountId, cancellationToken);
        if (account!.Kind != AccountKinds.Partner)
        {
            return BillingProblems.Conflict("Data products are sold to partner agencies; this is an individual developer account.");
        }

        await services.Subscriptions.SubscribeProductAsync(accountId, change.ProductId!, cancellationToken);
        await services.Publisher.PublishAccountAsync(accountId, cancellationToken);
        await services.SyncStripeAsync(accountId, cancellationToken);
        return TypedResults.Ok(await SummaryAsync(accountId, services, cancellationToken));
    }

    static async Task<Results<Ok<SubscriptionSummary>, ProblemHttpResult>> UnsubscribeProductAsync(
        string accountId, string productId, Contracts.ConsumerContext.ConsumerContext caller, SubscriptionServices services,
        CancellationToken cancellationToken)
    {
        if (await CheckAsync(accountId, caller, services, cancellationToken) is { } problem)
        {
            return problem;
        }

        if (await services.Subscriptions.UnsubscribeProductAsync(accountId, productId, cancellationToken) is null)
        {
            return BillingProblems.NotFound($"The account does not subscribe to '{productId}'.");
        }

        await services.Publisher.PublishAccountAsync(accountId, cancellationToken);
        await services.SyncStripeAsync(accountId, cancellationToken);
        return TypedResults.Ok(await SummaryAsync(accountId, services, cancellationToken));
    }

    static async Task<ProblemHttpResult?> CheckAsync(
        string accountId, Contracts.ConsumerContext.ConsumerContext caller, SubscriptionServices services, CancellationToken cancellationToken)
    {
        if (await services.Accounts.FindAsync(accountId, cancellationToken) is null)
        {
            return BillingProblems.NotFound($"There is no account '{accountId}'.");
        }

        return caller.HasRole(Roles.Owner) || caller.HasRole(Roles.Admin)
            ? null
            : BillingProblems.Forbidden("Only the account's owner may change its subscriptions.");
    }

    internal sealed record PlanChange(string? PlanId);

    internal sealed record ProductChange(string? ProductId);

    internal sealed record SubscriptionSummary(
        string PlanId, IReadOnlyList<string> Products, string Period, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd,
        IReadOnlyList<SubscriptionView> History);
}

sealed partial class SubscriptionServices(
    AccountStore accounts, SubscriptionStore subscriptions, PlanStore plans, DescriptorPublisher publisher, TimeProvider time,
    IServiceProvider services, ILogger<SubscriptionServices> logger)
{
    public AccountStore Accounts => accounts;
    public SubscriptionStore Subscriptions => subscriptions;
    public PlanStore Plans => plans;
    public DescriptorPublisher Publisher => publisher;
    public TimeProvider Time => time;

    /// <summary>
    /// With Stripe configured, brings the account's Stripe Subscription in line at once. The local change stands if
    /// Stripe does not answer: the periodic sync repairs the Subscription, with the same idempotency keys.
    /// </summary>
    public async Task SyncStripeAsync(string accountId, CancellationToken cancellationToken)
    {
        if (services.GetService<StripeBillingSync>() is not { } stripe)
        {
            return;
        }

        try
        {
            await stripe.SyncAccountAsync(accountId, cancellationToken);
        }
        catch (Exception exception) when (exception is global::Stripe.StripeException or HttpRequestException)
        {
            LogStripeDeferred(logger, accountId, exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe did not take the subscription change of account {AccountId}; the periodic sync will")]
    static partial void LogStripeDeferred(ILogger logger, string accountId, Exception exception);
}
