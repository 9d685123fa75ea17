using System.Globalization;
using System.Text;

namespace DataPlatform.Catalog.Query;

/// <summary>
/// Folds text for <c>$search</c>: Latin letters lose their diacritics (Vietnamese đ/Đ become d) and their case, so
/// "Hà Nội", "HA NOI" and "ha noi" all match. It is one character-for-character table, nothing
/// locale-dependent: it drives the C# fold (search terms and SQLite's <c>dp_fold</c> function) and PostgreSQL's
/// <c>translate()</c>, so both databases fold identically. PostgreSQL's unaccent extension was not chosen: it
/// needs CREATE EXTENSION rights at migration time and its rules file differs between versions, while this table
/// is an immutable expression the catalog can index (a trigram index on the folded column) if search must scale.
/// </summary>
static class TextFolding
{
    /// <summary>Characters that lose their diacritics, aligned with <see cref="To"/>.</summary>
    public static readonly string From;

    /// <summary>The plain lower-case letter each character of <see cref="From"/> becomes.</summary>
    public static readonly string To;

    static readonly Dictionary<char, char> _map = [];

    static TextFolding()
    {
        var from = new StringBuilder();
        var to = new StringBuilder();
        void Add(char accented, char plain)
        {
            plain = char.ToLowerInvariant(plain);
            if (_map.TryAdd(accented, plain))
            {
                from.Append(accented);
                to.Append(plain);
            }
        }

        for (var c = 'A'; c <= 'Z'; c++)
        {
            Add(c, c);
        }

        Add('Đ', 'D');
        Add('đ', 'd');
        // Latin-1 Supplement, Latin Extended-A and B, and Latin Extended Additional (where Vietnamese's stacked
        // tone marks live): every letter whose canonical decomposition is an ASCII letter plus combining marks.
        foreach (var (first, last) in new[] { (0x00C0, 0x024F), (0x1E00, 0x1EFF) })
        {
            for (var code = first; code <= last; code++)
            {
                var decomposed = ((char)code).ToString().Normalize(NormalizationForm.FormD);
                if (decomposed.Length > 1 && char.IsAsciiLetter(decomposed[0])
                    && decomposed.Skip(1).All(c => CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark))
                {
                    Add((char)code, decomposed[0]);
                }
            }
        }

        From = from.ToString();
        To = to.ToString();
    }

    /// <summary>The folded form of <paramref name="text"/>; <c>null</c> becomes the empty string.</summary>
    public static string Fold(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var composed = text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        return string.Create(composed.Length, composed, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = _map.TryGetValue(source[i], out var plain) ? plain : source[i];
            }
        });
    }
}
