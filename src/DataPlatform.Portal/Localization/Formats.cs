using System.Globalization;

namespace DataPlatform.Portal.Localization;

/// <summary>Numbers, sizes, money and dates as the page's culture writes them.</summary>
internal static class Formats
{
    static CultureInfo Culture => CultureInfo.CurrentCulture;

    public static string Number(long value) => value.ToString("N0", Culture);

    public static string Number(double value) =>
        Math.Abs(value - Math.Round(value)) < 1e-9 ? value.ToString("N0", Culture) : value.ToString("N2", Culture);

    /// <summary>Whole đồng: <c>1.234.567 đ</c> in Vietnamese, <c>1,234,567 VND</c> in English.</summary>
    public static string Money(long dong) =>
        PortalLocalization.IsEnglish(Culture) ? dong.ToString("N0", Culture) + " VND" : dong.ToString("N0", Culture) + " đ";

    public static string Date(DateTimeOffset value) => value.ToOffset(TimeSpan.FromHours(7)).ToString("d", Culture);

    public static string Date(DateOnly value) => value.ToString("d", Culture);

    /// <summary>A size in bytes, kB, MB or GB (powers of 1,000), with the culture's decimal mark.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1_000 => bytes.ToString("N0", Culture) + " B",
        < 1_000_000 => (bytes / 1e3).ToString("0.#", Culture) + " kB",
        < 1_000_000_000 => (bytes / 1e6).ToString("0.#", Culture) + " MB",
        _ => (bytes / 1e9).ToString("0.##", Culture) + " GB",
    };
}
