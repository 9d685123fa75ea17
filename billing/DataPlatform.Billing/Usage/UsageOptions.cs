using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Billing.Usage;

/// <summary>Settings for the harvester, bound from <c>Billing:Usage</c>.</summary>
sealed class UsageOptions
{
    public const string SectionName = "Billing:Usage";

    /// <summary>How often the gateway's counters are read into the ledger.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HarvestInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many past hours each harvest reads again; late counters of an hour are picked up within this window.</summary>
    [Range(1, 24 * 40)]
    public int LookbackHours { get; set; } = 48;
}
