using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Billing.ApiKeys;

/// <summary>Settings for keys, bound from <c>Billing:Keys</c>.</summary>
sealed class ApiKeyOptions
{
    public const string SectionName = "Billing:Keys";

    /// <summary>How long a rotated key keeps working next to its successor.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long the key that portal sign-in issues lasts.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How often every descriptor is rewritten, so that period-end changes reach the gateway.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(15);
}
