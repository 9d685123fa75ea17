using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.ApiKeys;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DataPlatform.Billing.Plans;

/// <summary>Plans and data products: anyone may read them through the account API; admins change them.</summary>
public static class PlansApi
{
    public static IEndpointRouteBuilder MapPlansApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/account/plans", ListPlansAsync).WithTags("Plans")
            .WithName("ListPlans").WithSummary("Every plan with its limits, included usage and prices in VND.");
        app.MapGet("/api/v1/account/products", ListProductsAsync).WithTags("Plans")
            .WithName("ListProducts").WithSummary("Every data product with its datasets and monthly price in VND.");

        var admin = app.MapGroup("/api/v1/admin").WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin);
        admin.MapGet("/plans", ListPlansAsync).WithName("AdminListPlans").WithSummary("Every plan.");
        admin.MapPut("/plans/{planId}", PutPlanAsync).WithName("PutPlan")
            .WithSummary("Creates or changes a plan; the keys of every account on it get the new limits.");
        admin.MapGet("/products", ListProductsAsync).WithName("AdminListProducts").WithSummary("Every data product.");
        admin.MapPut("/products/{productId}", PutProductAsync).WithName("PutProduct").WithSummary("Creates or changes a data product.");
        return app;
    }

    static async Task<Ok<IReadOnlyList<Plan>>> ListPlansAsync(PlanStore plans, CancellationToken cancellationToken) =>
        TypedResults.Ok(await plans.ListPlansAsync(cancellationToken));

    static async Task<Ok<IReadOnlyList<DataProduct>>> ListProductsAsync(PlanStore plans, CancellationToken cancellationToken) =>
        TypedResults.Ok(await plans.ListProductsAsync(cancellationToken));

    static async Task<Results<Ok<Plan>, ProblemHttpResult>> PutPlanAsync(
        string planId, Plan plan, PlanStore plans, DescriptorPublisher publisher, CancellationToken cancellationToken)
    {
        plan = plan with { Id = planId };
        if (ValidatePlan(plan) is { } problem)
        {
            return BillingProblems.Invalid(problem);
        }

        await plans.UpsertPlanAsync(plan, cancellationToken);
        await publisher.ResyncAllAsync(removeUnknown: false, cancellationToken);
        return TypedResults.Ok(plan);
    }

    static async Task<Results<Ok<DataProduct>, ProblemHttpResult>> PutProductAsync(
        string productId, DataProduct product, PlanStore plans, CancellationToken cancellationToken)
    {
        product = product with { Id = productId };
        if (!IsSlug(productId) || string.IsNullOrWhiteSpace(product.Name) || product.MonthlyFee < 0 || product.Datasets is null)
        {
            return BillingProblems.Invalid("A product needs a lowercase slug id, a 'name', 'datasets' and a 'monthlyFee' of 0 or more đồng.");
        }

        await plans.UpsertProductAsync(product, cancellationToken);
        return TypedResults.Ok(product);
    }

    static string? ValidatePlan(Plan plan)
    {
        if (!IsSlug(plan.Id) || string.IsNullOrWhiteSpace(plan.Name))
        {
            return "A plan needs a lowercase slug id and a 'name'.";
        }

        if (plan.BurstPerSecond <= 0 || plan.RequestsPerMinute <= 0)
        {
            return "'burstPerSecond' and 'requestsPerMinute' must be positive.";
        }

        if (new[] { plan.MonthlyRequests, plan.MonthlyBytes, plan.IncludedRequests, plan.IncludedBytes, plan.MonthlyFee, plan.PricePerGb }.Any(v => v < 0))
        {
            return "Quotas, included usage and prices must be 0 or more.";
        }

        if (plan.Tiers is null || plan.BillableStatusClasses is null || plan.BillableStatusClasses.Count == 0)
        {
            return "'tiers' and 'billableStatusClasses' are required.";
        }

        long previous = plan.IncludedRequests;
        for (var i = 0; i < plan.Tiers.Count; i++)
        {
            var tier = plan.Tiers[i];
            if (tier.PricePer1000 < 0 || (tier.UpTo is { } upTo ? upTo <= previous : i != plan.Tiers.Count - 1))
            {
                return "Tiers must rise above the included requests, in order, with only the last one open ('upTo': null), at prices of 0 or more.";
            }

            previous = tier.UpTo ?? previous;
        }

        return null;
    }

    static bool IsSlug(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
