using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Admin;
using DataPlatform.Billing.ApiKeys;
using DataPlatform.Billing.Invoicing;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Stripe;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.Billing.Usage;
using DataPlatform.ServiceDefaults;
using DataPlatform.ServiceDefaults.OpenApi;
using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Billing;

/// <summary>
/// Builds the billing service. <c>Program.cs</c> runs it alone; the launcher and the functional tests host
/// it in-process next to the gateway and the catalog.
/// </summary>
public static class BillingHost
{
    /// <summary>Billing as the service defaults know it.</summary>
    public static readonly PlatformService Service = new("billing", options => options.BillingUrl, UsesDatabase: true);

    /// <summary>Builds billing; <paramref name="configure"/> may add configuration before services are added.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(BillingHost).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        builder.AddServiceDefaults(Service);
        builder.Services.AddServiceOpenApi(
            "DataPlatform Billing API",
            "Accounts, plans, subscriptions, API keys, usage and invoices in VND.");
        builder.Services.AddMigrations(BillingMigrations.All);
        builder.AddBillingServices();

        var app = builder.Build();

        app.UseServiceDefaults();
        app.UseConsumerContext();
        app.MapServiceOpenApi();

        app.MapAccountApi();
        app.MapMembersApi();
        app.MapPlansApi();
        app.MapApiKeysApi();
        app.MapSubscriptionsApi();
        app.MapAdminAccountsApi();
        app.MapUsageApi();
        app.MapInvoicesApi();
        app.MapStripeApi();
        app.MapStripeWebhookApi();

        return app;
    }

    static void AddBillingServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName);
        services.AddOptions<UsageOptions>().BindConfiguration(UsageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<InvoicingOptions>().BindConfiguration(InvoicingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MailOptions>().BindConfiguration(MailOptions.SectionName);
        services.AddOptions<SignInOptions>().BindConfiguration(SignInOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<InvitationOptions>().BindConfiguration(InvitationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<BillingDb>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<PlanStore>();
        services.AddSingleton<SubscriptionStore>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<DescriptorPublisher>();
        services.AddSingleton<AccountMailer>();
        services.AddSingleton<InvitationStore>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<BillingBootstrap>();
        services.AddSingleton<KeyServices>();
        services.AddSingleton<SubscriptionServices>();
        services.AddSingleton<UsageLedger>();
        services.AddHostedService<DescriptorResyncService>();
        services.AddSingleton<InvoiceStore>();
        services.AddSingleton<PeriodClose>();
        services.AddHostedService<UsageHarvester>();
        services.AddHostedService<PeriodCloseService>();
        services.AddStripe(builder.Configuration);
    }
}
