using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DataPlatform.Catalog.Search;

namespace DataPlatform.Catalog.Storage;

/// <summary>
/// Every table and column name the catalog puts into SQL is generated here, never taken from a user. A
/// version's table is named from the dataset's random storage key and the version number; a column's
/// physical name is an ASCII fold of its public name, checked against a strict pattern and kept in the
/// schema, so the query core maps public names to physical ones and never splices user text.
/// </summary>
static partial class SqlIdentifiers
{
    /// <summary>The hidden column that numbers rows in file order; the primary key of every data table.</summary>
    public const string RowNumberColumn = "_row";

    const int MaxColumnLength = 48;

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SafeIdentifier();

    /// <summary>A new random storage key, such as <c>d3f9a1c07b2e4</c>.</summary>
    public static string NewStorageKey() => "d" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));

    /// <summary>The table holding version <paramref name="version"/> of the dataset with <paramref name="storageKey"/>.</summary>
    public static string VersionTable(string storageKey, int version) =>
        Validate(storageKey + "_v" + version.ToString(CultureInfo.InvariantCulture));

    /// <summary>Quotes a generated identifier after checking it once more.</summary>
    public static string Quote(string identifier) => "\"" + Validate(identifier) + "\"";

    /// <summary>Physical names for <paramref name="publicNames"/>, unique, in the same order.</summary>
    public static IReadOnlyList<string> ColumnNames(IReadOnlyList<string> publicNames)
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { RowNumberColumn };
        var result = new List<string>(publicNames.Count);
        foreach (var name in publicNames)
        {
            var folded = TextFolding.Fold(name);
            var builder = new StringBuilder(folded.Length);
            foreach (var c in folded)
            {
                builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
            }

            var candidate = builder.ToString().Trim('_');
            if (candidate.Length == 0 || !char.IsAsciiLetter(candidate[0]))
            {
                candidate = "c_" + candidate;
            }

            if (candidate.Length > MaxColumnLength)
            {
                candidate = candidate[..MaxColumnLength];
            }

            var unique = candidate;
            for (var n = 2; !used.Add(unique); n++)
            {
                unique = candidate + "_" + n.ToString(CultureInfo.InvariantCulture);
            }

            result.Add(Validate(unique));
        }

        return result;
    }

    static string Validate(string identifier) => SafeIdentifier().IsMatch(identifier)
        ? identifier
        : throw new InvalidOperationException("A generated SQL identifier failed validation.");
}
