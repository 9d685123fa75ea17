using System.Globalization;
using System.Text.Json;
using DataPlatform.Portal.Api;
using DataPlatform.Portal.Datasets;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace DataPlatform.Portal.Pages.Datasets;

/// <summary>
/// One dataset: its metadata and schema, then one of four tabs (links, so they work without JavaScript): a preview
/// of its rows with sorting, filtering and keyset paging; a chart; its downloads; code to call its API.
/// </summary>
internal sealed class DatasetModel(GatewayClient api, SessionCookie sessions, IOptions<PortalOptions> options) : PageModel
{
    public static readonly string[] Tabs = ["preview", "chart", "downloads", "api"];
    public static readonly string[] DownloadFormats = ["csv", "json", "ndjson", "parquet", "xlsx"];

    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string? Tab { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Sort { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Dir { get; set; }

    [BindProperty(SupportsGet = true, Name = "col")]
    public string? FilterColumn { get; set; }

    [BindProperty(SupportsGet = true, Name = "op")]
    public string? FilterOperator { get; set; }

    [BindProperty(SupportsGet = true, Name = "val")]
    public string? FilterValue { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? After { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? X { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Y { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Agg { get; set; }

    public DatasetView Dataset { get; private set; } = null!;

    /// <summary>Why the visitor cannot read the rows, or <c>null</c> when they can.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The data product a paid dataset belongs to, with its price.</summary>
    public DataProductView? Product { get; private set; }

    public bool SignedIn { get; private set; }

    public RecordsPage? Preview { get; private set; }

    public string? PreviewError { get; private set; }

    public IReadOnlyList<ChartPoint>? Chart { get; private set; }

    public string? ChartError { get; private set; }

    public IReadOnlyList<DownloadFile> Downloads { get; private set; } = [];

    public IReadOnlyList<ApiSnippet> Snippets { get; private set; } = [];

    public string PublicRoot { get; private set; } = "";

    public bool Descending => Dir == "desc";

    public IReadOnlyList<ColumnView> NumericColumns => [.. Dataset.Columns.Where(c => c.IsNumeric)];

    /// <summary>Columns a chart can group by: categories, years, dates. Decimals make poor categories.</summary>
    public IReadOnlyList<ColumnView> GroupColumns => [.. Dataset.Columns.Where(c => c.Type != "decimal")];

    public ColumnView? ChartX { get; private set; }

    public ColumnView? ChartY { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Tab = Tabs.Contains(Tab) ? Tab : "preview";
        var found = await api.FindDatasetAsync(Id, cancellationToken);
        if (found is null)
        {
            return NotFound();
        }

        Dataset = found;
        SignedIn = sessions.Read(HttpContext) is not null;
        PublicRoot = Request.Scheme + "://" + Request.Host.Value;
        if (!Dataset.IsOpen && !SignedIn)
        {
            Refusal = Dataset.AccessLevel == "paid" ? "paid" : "registered";
        }

        if (Dataset.AccessLevel == "paid" && Dataset.ProductId is { } productId)
        {
            Product = (await api.ListProductsAsync(cancellationToken)).FirstOrDefault(p => p.Id == productId);
        }

        try
        {
            switch (Tab)
            {
                case "preview" when Refusal is null:
                    await LoadPreviewAsync(cancellationToken);
                    break;
                case "chart" when Refusal is null:
                    await LoadChartAsync(cancellationToken);
                    break;
                case "downloads" when Refusal is null:
                    Downloads = await Task.WhenAll(DownloadFormats.Select(f => api.DescribeDownloadAsync(Dataset.Id, f, cancellationToken)));
                    break;
                case "api":
                    Snippets = ApiSnippets.For(Dataset, PublicRoot);
                    break;
                default:
                    break;
            }
        }
        catch (GatewayException refused) when (refused.Status is 401 or 402 or 403)
        {
            // Signed in, yet the key may not read these rows (no subscription to the product).
            Refusal = Dataset.AccessLevel == "paid" ? "paid" : "registered";
        }

        return Page();
    }

    async Task LoadPreviewAsync(CancellationToken cancellationToken)
    {
        string? filter = null;
        if (!string.IsNullOrEmpty(FilterColumn) && !string.IsNullOrEmpty(FilterValue))
        {
            var column = Column(FilterColumn);
            if (column is null)
            {
                PreviewError = "column";
            }
            else
            {
                (filter, var error) = PreviewQuery.Filter(column, FilterOperator ?? PreviewQuery.OperatorsFor(column)[0], FilterValue);
                PreviewError = error;
            }

            if (PreviewError is not null)
            {
                return;
            }
        }

        var query = PreviewQuery.Options(filter, Column(Sort), Descending, After);
        try
        {
            Preview = await api.QueryRecordsAsync(Dataset.Id, query, options.Value.PreviewRows, cancellationToken);
        }
        catch (GatewayException refused) when (refused.Status == 400)
        {
            PreviewError = "query";
        }
    }

    async Task LoadChartAsync(CancellationToken cancellationToken)
    {
        ChartY = Column(Y) is { IsNumeric: true } y ? y : DefaultValueColumn();
        ChartX = Column(X) is { } x && x.Type != "decimal" && x != ChartY ? x : DefaultGroupColumn();
        if (ChartY is null || ChartX is null)
        {
            return;
        }

        Agg = Agg is "sum" or "average" or "max" or "min" ? Agg : ChartY.Type == "decimal" ? "average" : "sum";
        var ordered = ChartX.IsTime || ChartX.Type == "integer";
        var apply = $"groupby(({ChartX.Name}),aggregate({ChartY.Name} with {Agg} as value))";
        var query = "$apply=" + Uri.EscapeDataString(apply);
        var bars = options.Value.ChartBars;
        try
        {
            var points = await api.AggregateAsync(Dataset.Id, query, ChartX.Name, "value", cancellationToken);
            // Times and numbers in their own order, the first bars shown; categories largest first.
            Chart = ordered
                ? [.. points.OrderBy(p => p.Label, StringComparer.Ordinal).TakeLast(bars)]
                : [.. points.OrderByDescending(p => p.Value).Take(bars)];
        }
        catch (GatewayException refused) when (refused.Status == 400)
        {
            ChartError = refused.Detail;
        }
    }

    /// <summary>A measure rather than an identifier: not a key, not a year, decimals first.</summary>
    ColumnView? DefaultValueColumn() => NumericColumns
        .OrderBy(c => c.Key || c.Name.Contains("year", StringComparison.OrdinalIgnoreCase) ? 1 : 0)
        .ThenBy(c => c.Type == "decimal" ? 0 : 1)
        .FirstOrDefault();

    ColumnView? DefaultGroupColumn() =>
        GroupColumns.FirstOrDefault(c => c.IsTime) ??
        GroupColumns.FirstOrDefault(c => c.Type == "integer" && c.Name.Contains("year", StringComparison.OrdinalIgnoreCase)) ??
        GroupColumns.FirstOrDefault(c => c.Type == "string" && !c.Key && !c.Name.Contains("code", StringComparison.OrdinalIgnoreCase)) ??
        GroupColumns.FirstOrDefault(c => c != ChartY);

    ColumnView? Column(string? name) => name is null ? null : Dataset.Columns.FirstOrDefault(c => c.Name == name);

    /// <summary>This page's address with some parameters changed (null removes one).</summary>
    public string Link(params (string Name, string? Value)[] changes)
    {
        var values = new Dictionary<string, string?>
        {
            ["tab"] = Tab == "preview" ? null : Tab,
            ["sort"] = Sort,
            ["dir"] = Dir,
            ["col"] = FilterColumn,
            ["op"] = FilterOperator,
            ["val"] = FilterValue,
            ["x"] = X,
            ["y"] = Y,
            ["agg"] = Agg,
        };
        foreach (var (name, value) in changes)
        {
            values[name] = value;
        }

        return "/datasets/" + Uri.EscapeDataString(Dataset.Id) + QueryString.Create(values.Where(v => !string.IsNullOrEmpty(v.Value)));
    }

    public string TabLink(string tab) => "/datasets/" + Uri.EscapeDataString(Dataset.Id) + (tab == "preview" ? "" : "?tab=" + tab);

    /// <summary>The schema.org Dataset description, for dataset search engines.</summary>
    public string JsonLd()
    {
        var culture = CultureInfo.CurrentUICulture;
        var url = PublicRoot + "/datasets/" + Uri.EscapeDataString(Dataset.Id);
        var document = new Dictionary<string, object?>
        {
            ["@context"] = "https://schema.org/",
            ["@type"] = "Dataset",
            ["@id"] = url,
            ["url"] = url,
            ["identifier"] = Dataset.Id,
            ["name"] = Dataset.Title.For(culture),
            ["description"] = Dataset.Description.For(culture),
            ["inLanguage"] = culture.TwoLetterISOLanguageName,
            ["keywords"] = Dataset.Keywords,
            ["license"] = Dataset.Licence?.Url,
            ["isAccessibleForFree"] = Dataset.AccessLevel is "open" or "registered",
            ["dateCreated"] = Dataset.Created.ToString("O", CultureInfo.InvariantCulture),
            ["dateModified"] = Dataset.Modified.ToString("O", CultureInfo.InvariantCulture),
            ["creator"] = new Dictionary<string, object?> { ["@type"] = "Organization", ["name"] = Dataset.Publisher.For(culture), ["url"] = Dataset.Publisher.Url },
            ["temporalCoverage"] = Dataset.Temporal is { } t ? $"{t.Start?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? ".."}/{t.End?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? ".."}" : null,
            ["spatialCoverage"] = Dataset.Spatial,
            ["variableMeasured"] = Dataset.Columns.Select(c => c.Name).ToList(),
            ["distribution"] = Dataset.IsOpen
                ? DownloadFormats.Select(f => new Dictionary<string, string>
                {
                    ["@type"] = "DataDownload",
                    ["encodingFormat"] = MediaType(f),
                    ["contentUrl"] = $"{PublicRoot}/api/v1/datasets/{Uri.EscapeDataString(Dataset.Id)}/download.{f}",
                }).ToList()
                : null,
        };
        // The default encoder escapes <, > and &, so no value can close the script element the block sits in.
        return JsonSerializer.Serialize(document.Where(p => p.Value is not null).ToDictionary());
    }

    public static string MediaType(string format) => format switch
    {
        "csv" => "text/csv",
        "json" => "application/json",
        "ndjson" => "application/x-ndjson",
        "parquet" => "application/vnd.apache.parquet",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
}
