using System.Globalization;
using System.Text.RegularExpressions;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Ckan;

/// <summary>
/// The Solr filter (<c>fq</c>) and order (<c>sort</c>) of a CKAN <c>package_search</c>, read into the catalog's own
/// search. Only what harvesters and clients send is understood: <c>field:value</c> clauses joined by spaces or AND,
/// OR between clauses of one field, <c>-field:value</c> to exclude, and ranges of <c>metadata_modified</c>, as
/// ckanext-harvest's <c>organization:a OR organization:b metadata_modified:[2026-12-01T10:00:00Z TO *]</c>. Anything
/// else is CKAN's 409 "Search Query Error", never a filter silently dropped.
/// </summary>
static partial class CkanSearchQuery
{
    /// <summary>The order CKAN uses when a search gives none.</summary>
    public const string DefaultSort = "score desc, metadata_modified desc";

    [GeneratedRegex("""
        \G\s*(?:
          (?<op>AND|OR|&&|\|\|)(?=\s)
        | (?<sign>[+-]?)(?<field>[A-Za-z_]+):(?:
              "(?<quoted>[^"]*)"
            | \[(?<from>[^\s\]]+)\s+TO\s+(?<to>[^\s\]]+)\]
            | (?<plain>[^\s"()\[\]]+)))
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.ExplicitCapture)]
    private static partial Regex Token();

    /// <summary>One <c>field:value</c> of an fq, with whether it was excluded and whether OR joined it to the previous one.</summary>
    sealed record Clause(string Field, bool Excluded, bool OrWithPrevious, string? Value, string? From, string? To);

    /// <summary>
    /// Reads the fq clauses into <paramref name="query"/>. Groups are CKAN names of themes; <paramref name="themesOf"/>
    /// gives the themes a group name stands for.
    /// </summary>
    public static DatasetQuery ApplyFilter(DatasetQuery query, IEnumerable<string> filters, Func<string, IEnumerable<string>> themesOf)
    {
        var clauses = filters.SelectMany(Parse).ToList();
        var text = query.Text ?? "";
        foreach (var clause in clauses.Where(c => c.OrWithPrevious))
        {
            var previous = clauses[clauses.IndexOf(clause) - 1];
            if (previous.Field != clause.Field || clause.Excluded || previous.Excluded)
            {
                throw Invalid($"OR joins clauses of one field here ('{previous.Field}' and '{clause.Field}'); filter on each field separately.");
            }
        }

        // Runs of clauses joined by OR become one set of values, any of which matches.
        var runs = new List<List<Clause>>();
        foreach (var clause in clauses)
        {
            if (clause.OrWithPrevious)
            {
                runs[^1].Add(clause);
            }
            else
            {
                runs.Add([clause]);
            }
        }

        List<string>? publishers = null, themes = null;
        List<string> noPublishers = [], noThemes = [];
        foreach (var run in runs)
        {
            var first = run[0];
            switch (first.Field)
            {
                case "organization" or "owner_org":
                    var values = run.Select(c => Value(c)).ToList();
                    if (first.Excluded)
                    {
                        noPublishers.AddRange(values);
                    }
                    else
                    {
                        // A dataset has one publisher, so two such filters leave the publishers named by both.
                        publishers = publishers is null ? values : publishers.Intersect(values, StringComparer.Ordinal).ToList();
                    }

                    break;
                case "groups":
                    var named = run.SelectMany(c => themesOf(Value(c)).Append(Value(c))).Distinct(StringComparer.Ordinal).ToList();
                    if (first.Excluded)
                    {
                        noThemes.AddRange(named);
                    }
                    else if (themes is null)
                    {
                        themes = named;
                    }
                    else
                    {
                        throw Invalid("groups may be filtered once (with OR between names), not by two separate clauses.");
                    }

                    break;
                case "license_id" when !first.Excluded && run.Count == 1:
                    query = query with { Licence = Value(first) };
                    break;
                case "access_level" when !first.Excluded && run.Count == 1:
                    query = query with
                    {
                        Access = Enum.TryParse<AccessLevel>(Value(first), ignoreCase: true, out var level) && Enum.IsDefined(level)
                            ? level
                            : throw Invalid($"access_level is one of {string.Join(", ", Enum.GetValues<AccessLevel>().Select(DatasetStore.AccessName))}."),
                    };
                    break;
                case "tags" or "res_format" or "name" or "text" when !first.Excluded && run.Count == 1:
                    // Keywords, formats and names are folded into the search text, so these narrow the text search.
                    text += " " + Value(first);
                    break;
                case "dataset_type" when !first.Excluded && run.Count == 1:
                    // Every package here is a dataset; another type matches nothing.
                    publishers = Value(first) == "dataset" ? publishers : [];
                    break;
                case "metadata_modified" when !first.Excluded && run.Count == 1 && first.From is not null:
                    query = query with
                    {
                        ModifiedSince = Time(first.From) is { } from && (query.ModifiedSince is not { } since || from > since) ? from : query.ModifiedSince,
                        ModifiedUntil = Time(first.To!) is { } to && (query.ModifiedUntil is not { } until || to < until) ? to : query.ModifiedUntil,
                    };
                    break;
                default:
                    throw Invalid($"field '{first.Field}' cannot be filtered {(first.Excluded ? "out " : "")}this way here; use organization, owner_org, groups, " +
                        "license_id, access_level, tags, res_format, dataset_type or metadata_modified:[from TO to].");
            }
        }

        return query with
        {
            Text = text,
            Publishers = publishers is null && noPublishers.Count == 0 ? query.Publishers : new ValueFilter(publishers, noPublishers),
            Themes = themes is null && noThemes.Count == 0 ? query.Themes : new ValueFilter(themes, noThemes),
        };
    }

    static IEnumerable<Clause> Parse(string fq)
    {
        var clauses = new List<Clause>();
        var position = 0;
        var or = false;
        while (position < fq.Length && !string.IsNullOrWhiteSpace(fq[position..]))
        {
            var match = Token().Match(fq, position);
            if (!match.Success || match.Length == 0)
            {
                throw Invalid($"cannot read '{Cut(fq[position..].Trim())}' in fq; write field:value clauses.");
            }

            position += match.Length;
            if (match.Groups["op"].Success)
            {
                or = match.Groups["op"].Value is "OR" or "||";
                continue;
            }

            var field = match.Groups["field"].Value;
            var value = match.Groups["quoted"].Success ? match.Groups["quoted"].Value : match.Groups["plain"].Success ? match.Groups["plain"].Value : null;
            if (value is not null && field == "metadata_modified")
            {
                throw Invalid("metadata_modified takes a range, such as metadata_modified:[2026-12-01T00:00:00Z TO *].");
            }

            clauses.Add(new Clause(field, match.Groups["sign"].Value == "-", or && clauses.Count > 0, value,
                match.Groups["from"].Success ? match.Groups["from"].Value : null, match.Groups["to"].Success ? match.Groups["to"].Value : null));
            or = false;
        }

        return clauses;
    }

    static string Value(Clause clause) =>
        clause.Value ?? throw Invalid($"field '{clause.Field}' takes a value, not a range.");

    /// <summary>A range's end: <c>*</c> for none, else an ISO 8601 time in UTC (with or without the Z).</summary>
    static DateTimeOffset? Time(string text) =>
        text == "*" ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time
        : throw Invalid($"'{Cut(text)}' is not a time; write it as 2026-12-01T10:00:00Z, or * for an open end.");

    /// <summary>
    /// Reads a Solr <c>sort</c> ("id asc", "metadata_modified desc, name asc") into the catalog's order.
    /// </summary>
    public static IReadOnlyList<DatasetOrder> ParseSort(string? sort)
    {
        var order = new List<DatasetOrder>();
        foreach (var part in (sort ?? DefaultSort).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var key = words[0] switch
            {
                "score" => DatasetSortKey.Relevance,
                "id" or "name" => DatasetSortKey.Id,
                "metadata_modified" => DatasetSortKey.Modified,
                "metadata_created" => DatasetSortKey.Created,
                "title_string" or "title" => DatasetSortKey.Title,
                _ => throw Invalid($"Can't determine a sort order because of an unknown field '{Cut(words[0])}'; sort by score, id, name, metadata_modified, metadata_created or title_string."),
            };
            var descending = words.Length == 2 && words[1].ToLowerInvariant() is "asc" or "desc"
                ? words[1].Equals("desc", StringComparison.OrdinalIgnoreCase)
                : throw Invalid($"'{Cut(part)}' is not a sort: write a field and asc or desc, such as 'id asc'.");
            order.Add(new DatasetOrder(key, descending));
        }

        return order;
    }

    static string Cut(string text) => text.Length > 80 ? text[..80] + "…" : text;

    static CkanError Invalid(string message) => new(StatusCodes.Status409Conflict, "Search Query Error", "Search Query is invalid: " + message);
}
