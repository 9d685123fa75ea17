using System.Globalization;

namespace DataPlatform.Billing.Subscriptions;

/// <summary>
/// A billing period: one calendar month in Vietnam's time zone (Asia/Ho_Chi_Minh, UTC+7 all year), written
/// <c>yyyy-MM</c>. A month starts at 00:00 on the 1st in Hà Nội, which is 17:00 UTC the day before.
/// </summary>
readonly record struct BillingPeriod(int Year, int Month)
{
    static readonly TimeZoneInfo _vietnam = TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh");

    public static TimeZoneInfo TimeZone => _vietnam;

    public DateTimeOffset Start => Local(new DateTime(Year, Month, 1, 0, 0, 0, DateTimeKind.Unspecified));

    public DateTimeOffset End => Next.Start;

    public BillingPeriod Next => Month == 12 ? new(Year + 1, 1) : new(Year, Month + 1);

    public BillingPeriod Previous => Month == 1 ? new(Year - 1, 12) : new(Year, Month - 1);

    public static BillingPeriod Containing(DateTimeOffset moment)
    {
        var local = TimeZoneInfo.ConvertTime(moment, _vietnam);
        return new(local.Year, local.Month);
    }

    public static bool TryParse(string? text, out BillingPeriod period)
    {
        period = default;
        if (!DateTime.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return false;
        }

        period = new(parsed.Year, parsed.Month);
        return true;
    }

    /// <summary>The share of this period covered by [<paramref name="from"/>, <paramref name="to"/>), from 0 to 1.</summary>
    public decimal Coverage(DateTimeOffset from, DateTimeOffset? to)
    {
        var start = from > Start ? from : Start;
        var end = to is { } t && t < End ? t : End;
        return end <= start ? 0m : (decimal)(end - start).TotalSeconds / (decimal)(End - Start).TotalSeconds;
    }

    public override string ToString() => $"{Year:D4}-{Month:D2}";

    static DateTimeOffset Local(DateTime local) => new(local, _vietnam.GetUtcOffset(local));
}
