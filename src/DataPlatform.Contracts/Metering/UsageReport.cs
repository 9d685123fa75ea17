using System.Globalization;

namespace DataPlatform.Contracts.Metering;

/// <summary>
/// What an upstream tells the gateway about a response whose HTTP status and path do not say how it counts: a GraphQL
/// answer is 200 whether it carried data or only a refusal, and names no dataset in its path. The upstream sets
/// <see cref="Header"/>; the gateway removes it from every response (a client never sees it), meters the response
/// under the reported outcome status and product, and believes it only from its upstreams, which only it reaches.
/// </summary>
public static class UsageReport
{
    /// <summary>The response header, inside the reserved <c>X-DataPlatform-</c> namespace.</summary>
    public const string Header = "X-DataPlatform-Usage";

    /// <summary>
    /// The header's value: <c>status=&lt;outcome&gt;</c>, the status the response would have had as a REST answer (200
    /// when it carried data, 403 when its only answer was a refused subscription …), then
    /// <c>;products=&lt;id&gt;,&lt;id&gt;</c> when it read datasets of data products.
    /// </summary>
    public static string Format(int outcomeStatus, IEnumerable<string> products)
    {
        var list = string.Join(',', products.Where(p => p.Length > 0 && p.IndexOfAny([',', ';', '=']) < 0).Distinct().Order(StringComparer.Ordinal));
        var status = outcomeStatus.ToString(CultureInfo.InvariantCulture);
        return list.Length == 0 ? "status=" + status : "status=" + status + ";products=" + list;
    }

    /// <summary>Reads a <see cref="Format"/>ted value; false for anything else.</summary>
    public static bool TryParse(string? value, out int outcomeStatus, out IReadOnlyList<string> products)
    {
        outcomeStatus = 0;
        products = [];
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        foreach (var part in value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                return false;
            }

            var content = part[(equals + 1)..];
            switch (part[..equals])
            {
                case "status" when int.TryParse(content, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 100 and <= 599:
                    outcomeStatus = status;
                    break;
                case "products":
                    products = content.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    break;
                default:
                    return false;
            }
        }

        return outcomeStatus != 0;
    }
}
