using DataPlatform.Portal.Api;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataPlatform.Portal.Pages;

/// <summary>The home page: a search box, the themes with their counts, the newest and the most downloaded datasets.</summary>
internal sealed class IndexModel(GatewayClient api) : PageModel
{
    public SearchView Catalog { get; private set; } = new(0, 0, 0, [], new Dictionary<string, IReadOnlyList<FacetValue>>());

    public IReadOnlyList<DatasetView> MostDownloaded { get; private set; } = [];

    public IReadOnlyList<FacetValue> Themes => Catalog.Facets.GetValueOrDefault("theme") ?? [];

    public IReadOnlyList<FacetValue> Publishers => Catalog.Facets.GetValueOrDefault("publisher") ?? [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        // Without a query the catalog lists the newest first, with facets over every dataset the visitor may see.
        var newest = api.SearchAsync(null, new Dictionary<string, string?>(), 0, 6, cancellationToken);
        var popular = api.SearchAsync(null, new Dictionary<string, string?> { ["sort"] = "downloads", ["format"] = "csv" }, 0, 6, cancellationToken);
        Catalog = await newest;
        MostDownloaded = [.. (await popular).Items.Where(d => d.Downloads > 0)];
    }
}
