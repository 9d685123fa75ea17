using Microsoft.Extensions.Options;
using Stripe;

namespace DataPlatform.Billing.Stripe;

/// <summary>Registers the Stripe client and the sync only when <c>Stripe:ApiKey</c> is set.</summary>
static class StripeServiceCollectionExtensions
{
    public static IServiceCollection AddStripe(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StripeOptions>().BindConfiguration(StripeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebhookHandler>();
        var options = configuration.GetSection(StripeOptions.SectionName).Get<StripeOptions>() ?? new StripeOptions();
        if (!options.Enabled)
        {
            return services;
        }

        services.AddHttpClient("stripe");
        services.AddSingleton<IStripeClient>(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<StripeOptions>>().Value;
            var baseAddress = string.IsNullOrWhiteSpace(settings.ApiBase) ? null : settings.ApiBase.TrimEnd('/');
            return new StripeClient(new StripeClientOptions
            {
                ApiKey = settings.ApiKey,
                ApiBase = baseAddress ?? StripeClient.DefaultApiBase,
                MeterEventsBase = baseAddress ?? StripeClient.DefaultMeterEventsBase,
                // No retries inside the SDK: StripeSync retries meter events itself, with the same identifier and its
                // own logging, and a duplicate-identifier answer must reach it rather than be retried.
                HttpClient = new SystemNetHttpClient(provider.GetRequiredService<IHttpClientFactory>().CreateClient("stripe"), maxNetworkRetries: 0),
            });
        });
        services.AddSingleton<StripeSync>();
        services.AddSingleton<StripeBillingSync>();
        services.AddHostedService<StripeSyncService>();
        return services;
    }
}

/// <summary>Every <see cref="StripeOptions.SyncInterval"/>, brings Stripe's products, prices and subscriptions in line and sends usage.</summary>
sealed partial class StripeSyncService(
    StripeSync sync, StripeBillingSync billing, IOptions<StripeOptions> options, TimeProvider time, ILogger<StripeSyncService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SyncInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var now = time.GetUtcNow();
                await billing.SyncAllAsync(stoppingToken);
                await sync.SyncAsync(now.AddDays(-options.Value.LookbackDays), now, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogSyncFailed(logger, exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The Stripe sync failed; the next one sends the same events with the same identifiers")]
    static partial void LogSyncFailed(ILogger logger, Exception exception);
}
