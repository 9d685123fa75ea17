using System.Globalization;
using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataPlatform.Portal.Pages.Datasets;

/// <summary>
/// Search: the catalog's diacritic-insensitive, ranked search with its facets (theme, publisher, access level),
/// plus what the catalog's API does not offer yet, done here over the matches: the keyword and format facets and
/// sorting by last update or title.
/// </summary>
internal sealed class IndexModel(GatewayClient api) : PageModel
{
    public const int PageSize = 10;

    /// <summary>The formats every published dataset downloads as.</summary>
    public static readonly string[] Formats = ["csv", "json", "ndjson", "parquet", "xlsx"];

    // The catalog's largest page: the portal sorts and pages the matches itself, so it asks for all of them.
    const int MaxMatches = 1000;

    [BindProperty(SupportsGet = true)]
    public string? Q { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Theme { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Publisher { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Access { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Keyword { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Format { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Sort { get; set; }

    [BindProperty(SupportsGet = true, Name = "page")]
    public int PageNumber { get; set; } = 1;

    public IReadOnlyList<DatasetView> Items { get; private set; } = [];

    public long Total { get; private set; }

    public int PageCount => (int)Math.Max(1, (Total + PageSize - 1) / PageSize);

    public IReadOnlyList<(string Name, IReadOnlyList<FacetValue> Values)> Facets { get; private set; } = [];

    public bool Truncated { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Sort = Sort is "updated" or "title" ? Sort : "relevance";
        Access = Access is "open" or "registered" or "paid" or "restricted" ? Access : null;
        Format = Formats.Contains(Format) ? Format : null;
        PageNumber = Math.Clamp(PageNumber, 1, 10_000);

        var filters = new Dictionary<string, string?> { ["theme"] = Theme, ["publisher"] = Publisher, ["accessLevel"] = Access };
        var found = await api.SearchAsync(Q?.Trim(), filters, 0, MaxMatches, cancellationToken);
        Truncated = found.Total > found.Items.Count;

        IEnumerable<DatasetView> matches = found.Items;
        if (!string.IsNullOrEmpty(Keyword))
        {
            matches = matches.Where(d => d.Keywords.Contains(Keyword, StringComparer.OrdinalIgnoreCase));
        }

        if (Format is not null)
        {
            matches = matches.Where(d => d.CurrentVersion > 0);
        }

        var culture = CultureInfo.CurrentUICulture;
        var list = matches.ToList();
        list = Sort switch
        {
            "updated" => [.. list.OrderByDescending(d => d.Modified)],
            "title" => [.. list.OrderBy(d => d.Title.For(culture), StringComparer.Create(culture, ignoreCase: true))],
            _ => list,
        };

        Total = list.Count;
        PageNumber = Math.Min(PageNumber, PageCount);
        Items = [.. list.Skip((PageNumber - 1) * PageSize).Take(PageSize)];

        // The catalog's facet counts ignore their own filter, so the other choices stay visible; once a keyword or
        // format narrows the matches here, the counts are taken over what is left instead.
        var narrowed = !string.IsNullOrEmpty(Keyword) || Format is not null;
        Facets =
        [
            ("theme", narrowed ? Count(list.SelectMany(d => d.Themes)) : found.Facets.GetValueOrDefault("theme") ?? []),
            ("publisher", narrowed ? CountPublishers(list, culture) : found.Facets.GetValueOrDefault("publisher") ?? []),
            ("accessLevel", narrowed ? Count(list.Select(d => d.AccessLevel)) : found.Facets.GetValueOrDefault("accessLevel") ?? []),
            ("format", [.. Formats.Select(f => new FacetValue(f, f.ToUpperInvariant(), list.Count(d => d.CurrentVersion > 0)))]),
            ("keyword", Count(list.SelectMany(d => d.Keywords)).Take(15).ToList()),
        ];
        return Page();
    }

    static List<FacetValue> Count(IEnumerable<string> values) =>
        [.. values.GroupBy(v => v, StringComparer.OrdinalIgnoreCase)
            .Select(g => new FacetValue(g.Key, null, g.Count()))
            .OrderByDescending(f => f.Count).ThenBy(f => f.Value, StringComparer.Ordinal)];

    static List<FacetValue> CountPublishers(IEnumerable<DatasetView> datasets, CultureInfo culture) =>
        [.. datasets.GroupBy(d => d.Publisher.Id ?? "")
            .Select(g => new FacetValue(g.Key, g.First().Publisher.For(culture), g.Count()))
            .OrderByDescending(f => f.Count)];

    /// <summary>The search's own address with one parameter changed (null removes it); the page number restarts unless given.</summary>
    public string Link(string name, string? value, int? page = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["q"] = Q,
            ["theme"] = Theme,
            ["publisher"] = Publisher,
            ["access"] = Access,
            ["keyword"] = Keyword,
            ["format"] = Format,
            ["sort"] = Sort == "relevance" ? null : Sort,
        };
        values[name] = value;
        if (page is > 1)
        {
            values["page"] = page.Value.ToString(CultureInfo.InvariantCulture);
        }

        return "/datasets" + QueryString.Create(values.Where(v => !string.IsNullOrEmpty(v.Value)));
    }

    public string? Selected(string facet) => facet switch
    {
        "theme" => Theme,
        "publisher" => Publisher,
        "accessLevel" => Access,
        "keyword" => Keyword,
        "format" => Format,
        _ => null,
    };

    public static string Parameter(string facet) => facet == "accessLevel" ? "access" : facet;
}
