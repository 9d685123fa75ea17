using System.Globalization;
using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataPlatform.Portal.Pages.Datasets;

/// <summary>
/// Search: the catalog's diacritic-insensitive, ranked search with its facets (theme, publisher, access level, format,
/// keyword), its orders (relevance, last update, title in the page's language, downloads) and its paging.
/// </summary>
internal sealed class IndexModel(GatewayClient api) : PageModel
{
    public const int PageSize = 10;

    /// <summary>The orders the portal offers, with the catalog's name for each.</summary>
    public static readonly IReadOnlyDictionary<string, string> Sorts = new Dictionary<string, string>
    {
        ["relevance"] = "relevance",
        ["updated"] = "modified",
        ["title"] = "title",
        ["downloads"] = "downloads",
    };

    static readonly string[] _formats = ["csv", "json", "ndjson", "parquet", "xlsx"];

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

    /// <summary>The page numbers the pager links: the first, the last, and two on each side of the current one.</summary>
    public IReadOnlyList<int> PagerPages =>
        [.. new[] { 1, PageCount }.Concat(Enumerable.Range(PageNumber - 2, 5)).Where(p => p >= 1 && p <= PageCount).Distinct().Order()];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Sort = Sort is not null && Sorts.ContainsKey(Sort) ? Sort : "relevance";
        Access = Access is "open" or "registered" or "paid" or "restricted" ? Access : null;
        Format = _formats.Contains(Format) ? Format : null;
        Keyword = string.IsNullOrWhiteSpace(Keyword) ? null : Keyword;
        PageNumber = Math.Clamp(PageNumber, 1, 10_000);

        var filters = new Dictionary<string, string?>
        {
            ["theme"] = Theme,
            ["publisher"] = Publisher,
            ["accessLevel"] = Access,
            ["keyword"] = Keyword,
            ["format"] = Format,
            ["sort"] = Sort == "relevance" ? null : Sorts[Sort],
            ["lang"] = Sort == "title" ? CultureInfo.CurrentUICulture.TwoLetterISOLanguageName : null,
        };
        var found = await api.SearchAsync(Q?.Trim(), filters, (PageNumber - 1) * PageSize, PageSize, cancellationToken);
        if (found.Items.Count == 0 && found.Total > 0 && PageNumber > 1)
        {
            // A page past the end (an old link, a hand-edited address): show the last page instead.
            PageNumber = (int)((found.Total + PageSize - 1) / PageSize);
            found = await api.SearchAsync(Q?.Trim(), filters, (PageNumber - 1) * PageSize, PageSize, cancellationToken);
        }

        Total = found.Total;
        Items = found.Items;
        Facets = [.. new[] { "theme", "publisher", "accessLevel", "format", "keyword" }
            .Select(name => (name, found.Facets.GetValueOrDefault(name) ?? (IReadOnlyList<FacetValue>)[]))
            .Select(f => f.name == "keyword" ? (f.name, (IReadOnlyList<FacetValue>)[.. f.Item2.Take(15)]) : f)];
        return Page();
    }

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
