using System.Globalization;
using System.Text;

namespace DataPlatform.Catalog.Search;

/// <summary>
/// Folds Vietnamese text for search: lower case, tone and vowel marks removed, đ to d, runs of anything
/// that is not a letter or digit to one space. "Hà Nội" and "ha noi" fold to the same text.
/// </summary>
static class TextFolding
{
    public static string Fold(string? text)
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

            if (char.IsLetterOrDigit(c))
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
