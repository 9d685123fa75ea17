using System.Buffers.Text;
using System.Globalization;
using System.Text;
using DataPlatform.Contracts.Redis;

namespace DataPlatform.Gateway.Metering;

/// <summary>
/// The responses of one segment that count alike: same consumer, product, hour, status class, flags and admission
/// month, with how many there were and the bytes they sent.
/// </summary>
sealed class UsageTally(long hourSeconds, string consumerId, string? productId, int statusClass, UsageFlags flags, string? month, string? limiterCall = null)
{
    public long HourSeconds { get; } = hourSeconds;

    public string ConsumerId { get; } = consumerId;

    public string? ProductId { get; } = productId;

    /// <summary>The outcome class: the status class (<c>2xx</c> …), or <c>account-2xx</c> … for account calls.</summary>
    public string StatusClass { get; } = (flags.HasFlag(UsageFlags.Account) ? UsageField.AccountClassPrefix : "")
        + statusClass.ToString(CultureInfo.InvariantCulture) + "xx";

    public UsageFlags Flags { get; } = flags;

    /// <summary>The month the limiter charged the requests to, if it did.</summary>
    public string? Month { get; } = month;

    /// <summary>The abandoned limiter call (<c>instance:number</c>) that carried the requests, if any (see <see cref="UsageRecord"/>).</summary>
    public string? LimiterCall { get; } = limiterCall;

    public long Count { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>The calendar month (<c>yyyyMM</c>, Asia/Ho_Chi_Minh) the responses completed in; a month starts on an hour.</summary>
    public string CompletionMonth => DateTimeOffset.FromUnixTimeSeconds(HourSeconds).ToOffset(UsageRecord.VietnamOffset)
        .ToString("yyyyMM", CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads a segment of the journal and adds up its records. A segment holds about a second of responses, one
    /// line each, but only a handful of distinct tallies: the lines are read as bytes, and strings are made only
    /// for a tally's first line. A line without its line feed (the last one of a gateway killed mid-write) or
    /// that does not parse is skipped.
    /// </summary>
    public static List<UsageTally> Read(ReadOnlySpan<byte> segment)
    {
        var tallies = new Dictionary<string, UsageTally>(StringComparer.Ordinal);
        var lookup = tallies.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> key = stackalloc char[UsageRecord.MaxLineBytes + 24];
        while (segment.IndexOf((byte)'\n') is var end and >= 0)
        {
            var line = segment[..end];
            segment = segment[(end + 1)..];
            if (!TryParse(line, out var fields) || line.Length > UsageRecord.MaxLineBytes)
            {
                continue;
            }

            // The key: hour, then consumer, product and status class, then flags and month; not the seconds or the bytes.
            var hour = fields.Seconds - fields.Seconds % 3600;
            hour.TryFormat(key, out var length, provider: CultureInfo.InvariantCulture);
            key[length++] = '\t';
            length += Encoding.UTF8.GetChars(fields.Identity, key[length..]);
            key[length++] = '\t';
            key[length++] = (char)('0' + fields.Status / 100 % 10);
            key[length++] = '\t';
            length += Encoding.UTF8.GetChars(fields.Rest, key[length..]);

            if (!lookup.TryGetValue(key[..length], out var tally))
            {
                var rest = Encoding.UTF8.GetString(fields.Rest).Split('\t');
                var identity = Encoding.UTF8.GetString(fields.Identity).Split('\t');
                tally = new UsageTally(hour, identity[0], identity[1] == "-" ? null : identity[1], fields.Status / 100,
                    (UsageFlags)int.Parse(rest[0], CultureInfo.InvariantCulture), rest[1] == "-" ? null : rest[1], rest.Length > 2 ? rest[2] : null);
                lookup[key[..length]] = tally;
            }

            tally.Count++;
            tally.Bytes += fields.Bytes;
        }

        return [.. tallies.Values];
    }

    /// <summary>A line's parts: <c>seconds TAB consumer TAB product TAB status TAB bytes TAB flags TAB month [TAB limiter call]</c>.</summary>
    ref struct Fields
    {
        public long Seconds;
        public ReadOnlySpan<byte> Identity; // consumer TAB product
        public int Status;
        public long Bytes;
        public ReadOnlySpan<byte> Rest; // flags TAB month [TAB limiter call]
    }

    static bool TryParse(ReadOnlySpan<byte> line, out Fields fields)
    {
        fields = default;
        if (!Utf8Parser.TryParse(line, out fields.Seconds, out var used) || used >= line.Length || line[used] != (byte)'\t')
        {
            return false;
        }

        line = line[(used + 1)..];
        var consumerEnd = line.IndexOf((byte)'\t');
        var productEnd = consumerEnd < 0 ? -1 : line[(consumerEnd + 1)..].IndexOf((byte)'\t');
        if (consumerEnd <= 0 || productEnd <= 0)
        {
            return false;
        }

        productEnd += consumerEnd + 1;
        fields.Identity = line[..productEnd];
        line = line[(productEnd + 1)..];
        if (!Utf8Parser.TryParse(line, out fields.Status, out used) || used >= line.Length || line[used] != (byte)'\t'
            || fields.Status is < 100 or > 999)
        {
            return false;
        }

        line = line[(used + 1)..];
        if (!Utf8Parser.TryParse(line, out fields.Bytes, out used) || used >= line.Length || line[used] != (byte)'\t' || fields.Bytes < 0)
        {
            return false;
        }

        fields.Rest = line[(used + 1)..];
        var flagsEnd = fields.Rest.IndexOf((byte)'\t');
        if (flagsEnd <= 0 || fields.Rest.Length <= flagsEnd + 1
            || !Utf8Parser.TryParse(fields.Rest[..flagsEnd], out int _, out used) || used != flagsEnd)
        {
            return false;
        }

        // After the month, nothing, or a limiter call: instance, colon, call number.
        var afterMonth = fields.Rest[(flagsEnd + 1)..];
        var monthEnd = afterMonth.IndexOf((byte)'\t');
        if (monthEnd < 0)
        {
            return true;
        }

        var call = afterMonth[(monthEnd + 1)..];
        var colon = call.IndexOf((byte)':');
        return monthEnd > 0 && colon > 0 && call.IndexOf((byte)'\t') < 0
            && Utf8Parser.TryParse(call[(colon + 1)..], out long _, out used) && used == call.Length - colon - 1;
    }
}
