using System.Globalization;
using System.Text;

namespace DataPlatform.Catalog.Search;

/// <summary>
/// Folds Vietnamese text for search: lower case, tone and vowel marks removed, đ to d, runs of anything
/// that is not a letter or digit to one space. "Hà Nội" and "ha noi" fold to the same text.
/// </summary>
static class TextFolding
{
    /// <summary>
    /// The characters that dataset search keeps, each as a word of its own, although they are neither letters
    /// nor digits. They are LIKE's wildcards and its escape: folded away like other punctuation, a search for
    /// "%" or "_" would become an empty search and list every dataset; kept, it finds the datasets that really
    /// contain them ("50 %", "ma_tinh"), and the search escapes them so that they match only themselves.
    /// </summary>
    public const string LiteralSearchCharacters = "%_\\";

    public static string Fold(string? text) => Fold(text, keepLiterals: false);

    /// <summary>Folds text as <see cref="Fold(string?)"/> does, keeping <see cref="LiteralSearchCharacters"/> as words.</summary>
    public static string FoldForSearch(string? text) => Fold(text, keepLiterals: true);

    static string Fold(string? text, bool keepLiterals)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        // Đ/đ is a letter of its own, not d with a combining mark, so decomposition leaves it alone.
        var decomposed = text.Replace('Đ', 'D').Replace('đ', 'd').Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        var space = false;
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (keepLiterals && LiteralSearchCharacters.Contains(c))
            {
                if (builder.Length > 0)
                {
                    builder.Append(' ');
                }

                builder.Append(c);
                space = true;
            }
            else if (char.IsLetterOrDigit(c))
            {
                if (space && builder.Length > 0)
                {
                    builder.Append(' ');
                }

                builder.Append(char.ToLowerInvariant(c));
                space = false;
            }
            else
            {
                space = true;
            }
        }

        return builder.ToString();
    }
}
