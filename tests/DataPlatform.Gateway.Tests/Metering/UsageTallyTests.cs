using System.Text;
using DataPlatform.Gateway.Metering;

namespace DataPlatform.Gateway.Tests.Metering;

/// <summary>
/// Reading a journal segment: records that count alike add up to one tally, so the flush sends each counter once
/// however many responses the segment holds. The flush itself runs against real Redis in <see cref="MeteringTests"/>.
/// </summary>
public sealed class UsageTallyTests
{
    // 2026-11-27 10:00:00 UTC and a few seconds into that hour; 11:00 is the next hour.
    const long Ten = 1_795_773_600;

    [Fact]
    public void Records_of_one_consumer_product_hour_status_class_and_flags_add_up_to_one_tally()
    {
        var segment = Lines(
            Line(Ten + 1, "acct-1", "dan-so", 200, 1000, UsageFlags.Counted, "202611"),
            Line(Ten + 59, "acct-1", "dan-so", 204, 0, UsageFlags.Counted, "202611"),
            Line(Ten + 3599, "acct-1", "dan-so", 200, 24, UsageFlags.Counted, "202611"),
            Line(Ten + 3600, "acct-1", "dan-so", 200, 5, UsageFlags.Counted, "202611"),
            Line(Ten + 2, "acct-1", "dan-so", 500, 10, UsageFlags.ChargedToMonthlyQuota, "202611"),
            Line(Ten + 3, "acct-1", null, 200, 7, UsageFlags.Counted, null),
            Line(Ten + 4, "Sở Nội vụ Hà Nội", "dan-so", 200, 3, UsageFlags.Counted, "202611"));

        var tallies = UsageTally.Read(segment);

        Assert.Equal(5, tallies.Count);
        var tenOClock = Assert.Single(tallies, tally => tally.HourSeconds == Ten && tally.ConsumerId == "acct-1" && tally.StatusClass == "2xx" && tally.ProductId == "dan-so");
        Assert.Equal((3L, 1024L), (tenOClock.Count, tenOClock.Bytes));
        Assert.Equal("202611", tenOClock.Month);
        var elevenOClock = Assert.Single(tallies, tally => tally.HourSeconds == Ten + 3600);
        Assert.Equal((1L, 5L), (elevenOClock.Count, elevenOClock.Bytes));
        var failed = Assert.Single(tallies, tally => tally.StatusClass == "5xx");
        Assert.Equal((UsageFlags.ChargedToMonthlyQuota, 1L, 10L), (failed.Flags, failed.Count, failed.Bytes));
        var outsideProducts = Assert.Single(tallies, tally => tally.ProductId is null);
        Assert.Null(outsideProducts.Month);
        Assert.Equal(7, outsideProducts.Bytes);
        var vietnamese = Assert.Single(tallies, tally => tally.ConsumerId == "Sở Nội vụ Hà Nội");
        Assert.Equal((1L, 3L), (vietnamese.Count, vietnamese.Bytes));
    }

    [Fact]
    public void A_torn_last_line_and_lines_that_are_not_records_are_skipped()
    {
        var whole = Line(Ten + 1, "acct-2", "dan-so", 200, 100, UsageFlags.Counted, "202611");
        var segment = Lines(
            whole,
            "not a record\n",
            "1795773601\tacct-2\tdan-so\tabc\t100\t1\t202611\n",
            "1795773601\tacct-2\tdan-so\t200\t-5\t1\t202611\n",
            "1795773601\tacct-2\tdan-so\t200\t100\t1\t202611\textra\n",
            whole,
            // A gateway killed in the middle of a write leaves a line without its line feed.
            whole[..^4]);

        var tally = Assert.Single(UsageTally.Read(segment));

        Assert.Equal((2L, 200L), (tally.Count, tally.Bytes));
    }

    [Fact]
    public void Requests_owed_after_an_abandoned_limiter_call_keep_that_call_apart_from_the_others()
    {
        var owed = UsageFlags.Counted | UsageFlags.OwedToMonthlyQuota;
        var segment = Lines(
            Line(Ten + 1, "acct-4", null, 200, 10, owed, null, "a1b2c3:41"),
            Line(Ten + 2, "acct-4", null, 200, 10, owed, null, "a1b2c3:41"),
            Line(Ten + 3, "acct-4", null, 200, 10, owed, null),
            "1795773601\tacct-4\t-\t200\t10\t9\t-\ta1b2c3:4x\n");

        var tallies = UsageTally.Read(segment);

        Assert.Equal([(2L, "a1b2c3:41"), (1L, null)], tallies.OrderBy(t => t.LimiterCall is null).Select(t => (t.Count, t.LimiterCall)));
    }

    [Fact]
    public void The_completion_month_follows_ho_chi_minh_city_where_a_month_starts_at_17_00_utc()
    {
        // 30 November 2026 16:xx UTC is 23:xx in Hồ Chí Minh City; 17:xx UTC is already 1 December there.
        var before = new DateTimeOffset(2026, 11, 30, 16, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        var after = new DateTimeOffset(2026, 11, 30, 17, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds();

        var tallies = UsageTally.Read(Lines(
            Line(before, "acct-3", "dan-so", 200, 1, UsageFlags.Counted, "202611"),
            Line(after, "acct-3", "dan-so", 200, 1, UsageFlags.Counted, "202611")));

        Assert.Equal(["202611", "202612"], tallies.OrderBy(tally => tally.HourSeconds).Select(tally => tally.CompletionMonth));
    }

    static string Line(long seconds, string consumer, string? product, int status, long bytes, UsageFlags flags, string? month, string? limiterCall = null)
    {
        Span<byte> line = stackalloc byte[UsageRecord.MaxLineBytes];
        Assert.True(new UsageRecord(seconds, consumer, product, status, bytes, flags, month, limiterCall).TryFormat(line, out var written));
        return Encoding.UTF8.GetString(line[..written]);
    }

    static byte[] Lines(params string[] lines) => Encoding.UTF8.GetBytes(string.Concat(lines));
}
