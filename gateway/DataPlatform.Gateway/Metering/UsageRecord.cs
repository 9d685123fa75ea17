using System.Globalization;
using System.Text.Unicode;

namespace DataPlatform.Gateway.Metering;

/// <summary>How a completed response counts.</summary>
[Flags]
enum UsageFlags
{
    None = 0,

    /// <summary>
    /// The response counts toward the monthly quotas: its outcome class is billable under the consumer's plan, or it
    /// is an account call, which counts against limits without being billed.
    /// </summary>
    Counted = 1,

    /// <summary>The limiter counted the request against the monthly request quota when it let it through.</summary>
    ChargedToMonthlyQuota = 2,

    /// <summary>The consumer's plan has a monthly byte quota fed by the metered bytes.</summary>
    CountsBytes = 4,

    /// <summary>
    /// The plan has a monthly request quota that the limiter could not charge (Redis was away and local limits let
    /// the request through): the flush charges it, exactly once, when the response is billable.
    /// </summary>
    OwedToMonthlyQuota = 8,

    /// <summary>
    /// An account or billing management call (sign-in, the subscription, keys, invoices, the admin API): metered under
    /// the outcome class <c>account-&lt;status class&gt;</c>, which no plan bills.
    /// </summary>
    Account = 16,
}

/// <summary>
/// One completed response, as one line of the usage journal:
/// <c>unix-seconds TAB consumer TAB product TAB status TAB bytes TAB flags TAB admission-month [TAB limiter-call] LF</c>.
/// The limiter call (<c>instance:number</c>) is written only for a request owed to the monthly quota whose limiter call
/// was abandoned after it left: the flush charges such a request only if that call did not count it.
/// </summary>
readonly record struct UsageRecord(
    long UnixSeconds, string ConsumerId, string? ProductId, int Status, long Bytes, UsageFlags Flags, string? Month, string? LimiterCall = null)
{
    /// <summary>The offset of Asia/Ho_Chi_Minh, which has kept UTC+7 without daylight saving since 1975.</summary>
    public static readonly TimeSpan VietnamOffset = TimeSpan.FromHours(7);

    /// <summary>The longest line the journal writes; a record that does not fit is not journaled.</summary>
    public const int MaxLineBytes = 512;

    /// <summary>Writes the line into <paramref name="destination"/>; false when it does not fit.</summary>
    public bool TryFormat(Span<byte> destination, out int written)
    {
        written = 0;
        return Utf8.TryWrite(destination, CultureInfo.InvariantCulture,
            $"{UnixSeconds}\t{ConsumerId}\t{ProductId ?? "-"}\t{Status}\t{Bytes}\t{(int)Flags}\t{Month ?? "-"}{(LimiterCall is null ? "" : "\t" + LimiterCall)}\n", out written);
    }

    /// <summary>Ids are written raw, so tabs and line breaks in one (never expected) would break the line apart.</summary>
    public static string Clean(string id) =>
        id.AsSpan().IndexOfAny('\t', '\n', '\r') < 0 ? id : id.Replace('\t', '_').Replace('\n', '_').Replace('\r', '_');
}
