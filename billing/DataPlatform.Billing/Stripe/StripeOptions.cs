using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Billing.Stripe;

/// <summary>Stripe settings, bound from <c>Stripe</c>. Without an API key the platform invoices on its own.</summary>
sealed class StripeOptions
{
    public const string SectionName = "Stripe";

    /// <summary>A secret key (sk_live_…, sk_test_… or a restricted key). Empty turns Stripe off.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The signing secret of the webhook endpoint (whsec_…).</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Another API address, such as a local stand-in; empty for Stripe's own.</summary>
    public string? ApiBase { get; set; }

    /// <summary>How old a webhook signature may be, in seconds.</summary>
    [Range(1, 3600)]
    public long WebhookTolerance { get; set; } = 300;

    /// <summary>How often usage is sent to Stripe.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long after an hour ends before its usage is sent, so the gateway's last counts are in.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How many past days each sync looks at.</summary>
    [Range(1, 62)]
    public int LookbackDays { get; set; } = 3;

    /// <summary>How often a meter event answered 429 or 5xx is tried again, with the same identifier.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first pause before a retry; each further one doubles it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public string RequestsEventName { get; set; } = "dataplatform_requests";

    public string BytesEventName { get; set; } = "dataplatform_bytes";

    public bool Enabled => !string.IsNullOrWhiteSpace(ApiKey);
}
