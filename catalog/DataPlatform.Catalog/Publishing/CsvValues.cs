using System.Globalization;
using DataPlatform.Catalog.Datasets;

namespace DataPlatform.Catalog.Publishing;

/// <summary>
/// Field-level rules of the file format: strict RFC 4180 quoting (Sep splits the fields; this checks and
/// unescapes them, because Sep is lenient about stray quotes) and the invariant text form of each type.
/// </summary>
static class CsvValues
{
    static readonly string[] _datetimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mmK", "yyyy-MM-dd",
    ];

    /// <summary>
    /// Checks a raw field and returns its value: a quoted field loses its outer quotes and has each doubled
    /// quote undoubled; an unquoted field may not contain a quote at all.
    /// </summary>
    public static bool TryUnquote(ReadOnlySpan<char> raw, out ReadOnlySpan<char> value, out string? reason)
    {
        reason = null;
        value = raw;
        if (raw.IndexOf('"') < 0)
        {
            return true;
        }

        if (raw.Length < 2 || raw[0] != '"' || raw[^1] != '"')
        {
            reason = raw.Length > 0 && raw[0] == '"'
                ? "a quoted field is not closed: its closing quote is missing or followed by other characters"
                : "a quote inside an unquoted field; quote the whole field and double the quote (RFC 4180)";
            return false;
        }

        var inner = raw[1..^1];
        if (inner.IndexOf('"') < 0)
        {
            value = inner;
            return true;
        }

        var builder = new System.Text.StringBuilder(inner.Length);
        for (var i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '"')
            {
                if (i + 1 >= inner.Length || inner[i + 1] != '"')
                {
                    reason = "a quote inside a quoted field is not doubled (RFC 4180)";
                    return false;
                }

                i++;
            }

            builder.Append(inner[i]);
        }

        value = builder.ToString();
        return true;
    }

    public static bool TryInt64(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static bool TryDecimal(ReadOnlySpan<char> text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);

    public static bool TryBoolean(ReadOnlySpan<char> text, out bool value)
    {
        value = text.Equals("true", StringComparison.OrdinalIgnoreCase);
        return value || text.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    public static bool TryDate(ReadOnlySpan<char> text, out DateOnly value) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value);

    public static bool TryDatetime(ReadOnlySpan<char> text, out DateTimeOffset value) =>
        TryIsoDatetime(text, out value)
        || DateTimeOffset.TryParseExact(text, _datetimeFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    /// <summary>
    /// The common shapes of <see cref="_datetimeFormats"/> parsed by hand: <c>yyyy-MM-dd</c>, a <c>T</c> or a
    /// space, <c>HH:mm:ss</c> with up to seven fraction digits, then <c>Z</c>, <c>±HH:mm</c> or nothing (UTC).
    /// The runtime's exact parsing interprets the format pattern for every value and dominated the profile of
    /// large publishes; anything this declines goes to it, so both accept the same values.
    /// </summary>
    static bool TryIsoDatetime(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 19 || text[4] != '-' || text[7] != '-' || text[10] is not ('T' or ' ') || text[13] != ':' || text[16] != ':'
            || !TryDigits(text[..4], out var year) || !TryDigits(text.Slice(5, 2), out var month) || !TryDigits(text.Slice(8, 2), out var day)
            || !TryDigits(text.Slice(11, 2), out var hour) || !TryDigits(text.Slice(14, 2), out var minute) || !TryDigits(text.Slice(17, 2), out var second)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var rest = text[19..];
        long fraction = 0;
        if (!rest.IsEmpty && rest[0] == '.')
        {
            var digits = rest[1..];
            var length = digits.IndexOfAnyExceptInRange('0', '9');
            length = length < 0 ? digits.Length : length;
            if (length is 0 or > 7 || !TryDigits(digits[..length], out var whole))
            {
                return false;
            }

            fraction = whole * (long)Math.Pow(10, 7 - length);
            rest = digits[length..];
        }

        var offset = TimeSpan.Zero;
        if (rest.Length == 6 && rest[0] is '+' or '-' && rest[3] == ':' && TryDigits(rest.Slice(1, 2), out var offsetHours) && TryDigits(rest.Slice(4, 2), out var offsetMinutes)
            && offsetHours <= 14 && offsetMinutes <= 59 && offsetHours * 60 + offsetMinutes <= 14 * 60)
        {
            offset = new TimeSpan(offsetHours, offsetMinutes, 0);
            offset = rest[0] == '-' ? -offset : offset;
        }
        else if (!(rest.IsEmpty || (rest.Length == 1 && rest[0] == 'Z')))
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fraction);
        var utcTicks = local.Ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        value = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        return true;
    }

    static bool TryDigits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            value = value * 10 + (c - '0');
        }

        return true;
    }

    /// <summary>
    /// Checks that <paramref name="text"/> is a value of <paramref name="type"/> and, when <paramref name="batch"/>
    /// is given, stores it typed in that cell. An inferred column applies inference's stricter rules for numbers
    /// (no leading zeros), so a value is stored as the type the whole file would have been inferred as.
    /// </summary>
    public static bool TryStore(ColumnType type, ReadOnlySpan<char> text, bool inferred, RowBatch? batch, int cell)
    {
        switch (type)
        {
            case ColumnType.Integer:
                if ((inferred && !IsPlainNumber(text, allowPoint: false)) || !TryInt64(text, out var integer))
                {
                    return false;
                }

                batch?.SetNumber(cell, integer);
                return true;
            case ColumnType.Decimal:
                if ((inferred && !IsPlainNumber(text, allowPoint: true)) || !TryDecimal(text, out var number))
                {
                    return false;
                }

                batch?.SetDecimal(cell, number);
                return true;
            case ColumnType.Boolean:
                if (!TryBoolean(text, out var flag))
                {
                    return false;
                }

                batch?.SetNumber(cell, flag ? 1 : 0);
                return true;
            case ColumnType.Date:
                if (!TryDate(text, out var date))
                {
                    return false;
                }

                batch?.SetNumber(cell, date.DayNumber);
                return true;
            case ColumnType.Datetime:
                if (!TryDatetime(text, out var moment))
                {
                    return false;
                }

                batch?.SetNumber(cell, moment.UtcTicks);
                return true;
            default:
                batch?.SetText(cell, text);
                return true;
        }
    }

    /// <summary>What a value must look like, for error messages.</summary>
    public static string Expected(ColumnType type) => type switch
    {
        ColumnType.Integer => "an integer such as 42 or -7",
        ColumnType.Decimal => "a decimal number with a point, such as 3.14",
        ColumnType.Boolean => "true or false",
        ColumnType.Date => "a date as yyyy-MM-dd, such as 2025-07-01",
        ColumnType.Datetime => "a date and time in ISO 8601, such as 2025-07-01T08:30:00+07:00",
        _ => "text",
    };

    /// <summary>
    /// Narrows the candidate types for an undeclared column. Numbers with leading zeros stay text, so codes
    /// such as <c>01</c> or <c>00004</c> keep their zeros.
    /// </summary>
    public static TypeCandidates Narrow(TypeCandidates candidates, ReadOnlySpan<char> text)
    {
        if ((candidates & TypeCandidates.Integer) != 0 && !(IsPlainNumber(text, allowPoint: false) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
        {
            candidates &= ~TypeCandidates.Integer;
        }

        if ((candidates & TypeCandidates.Decimal) != 0 && !(IsPlainNumber(text, allowPoint: true) && TryDecimal(text, out _)))
        {
            candidates &= ~TypeCandidates.Decimal;
        }

        if ((candidates & TypeCandidates.Boolean) != 0 && !TryBoolean(text, out _))
        {
            candidates &= ~TypeCandidates.Boolean;
        }

        if ((candidates & TypeCandidates.Date) != 0 && !TryDate(text, out _))
        {
            candidates &= ~TypeCandidates.Date;
        }

        if ((candidates & TypeCandidates.Datetime) != 0 && !TryDatetime(text, out _))
        {
            candidates &= ~TypeCandidates.Datetime;
        }

        return candidates;
    }

    public static ColumnType Resolve(TypeCandidates candidates, bool sawValue) =>
        !sawValue ? ColumnType.String
        : (candidates & TypeCandidates.Integer) != 0 ? ColumnType.Integer
        : (candidates & TypeCandidates.Decimal) != 0 ? ColumnType.Decimal
        : (candidates & TypeCandidates.Date) != 0 ? ColumnType.Date
        : (candidates & TypeCandidates.Datetime) != 0 ? ColumnType.Datetime
        : (candidates & TypeCandidates.Boolean) != 0 ? ColumnType.Boolean
        : ColumnType.String;

    static bool IsPlainNumber(ReadOnlySpan<char> text, bool allowPoint)
    {
        var digits = text.Length > 0 && text[0] == '-' ? text[1..] : text;
        if (digits.IsEmpty)
        {
            return false;
        }

        var point = allowPoint ? digits.IndexOf('.') : -1;
        var whole = point >= 0 ? digits[..point] : digits;
        var fraction = point >= 0 ? digits[(point + 1)..] : [];
        if (whole.IsEmpty || (whole.Length > 1 && whole[0] == '0') || (point >= 0 && fraction.IsEmpty))
        {
            return false;
        }

        return !whole.ContainsAnyExceptInRange('0', '9') && !fraction.ContainsAnyExceptInRange('0', '9');
    }
}

/// <summary>The types an undeclared column may still have.</summary>
[Flags]
enum TypeCandidates
{
    None = 0,
    Integer = 1,
    Decimal = 2,
    Boolean = 4,
    Date = 8,
    Datetime = 16,
    All = Integer | Decimal | Boolean | Date | Datetime,
}
