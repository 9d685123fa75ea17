using System.Text.Json.Nodes;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Search;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Ckan;

/// <summary>One action: its name, the documentation <c>help_show</c> returns, and what it does.</summary>
sealed record CkanAction(string Name, string Help, Func<CkanCall, Task<JsonNode?>> Run);

/// <summary>
/// The actions the catalog serves, with CKAN 2.10/2.11's parameters. Parameters CKAN accepts that change nothing
/// here (<c>include_extras</c>, <c>include_users</c>, <c>use_default_schema</c> …) are accepted and ignored.
/// </summary>
static class CkanActions
{
    /// <summary>The most rows a search or a list returns (CKAN's <c>ckan.search.rows_max</c>).</summary>
    const int MaxRows = 1000;

    /// <summary>The CKAN release whose Action API this one follows, reported by <c>status_show</c>.</summary>
    const string CkanVersion = "2.11.0";

    static readonly CkanAction[] _all =
    [
        new("package_list", """
            Return a list of the names of the site's datasets (packages), in name order; restricted datasets are not listed.
            :param limit: the most names to return (optional, default all)
            :param offset: how many names to skip (optional, default 0)
            :rtype: list of strings
            """, PackageListAsync),
        new("package_show", """
            Return the metadata of a dataset (package) and its resources.
            :param id: the id or name of the dataset
            :rtype: dictionary
            """, PackageShowAsync),
        new("package_search", """
            Search for datasets (packages).
            :param q: the search words; diacritics and case are ignored (optional, default all)
            :param fq: filter clauses: organization:, owner_org:, groups:, license_id:, access_level:, tags:, res_format:, dataset_type:,
                metadata_modified:[<from> TO <to>] (times in UTC, * for an open end); OR between clauses of one field, -field:value to exclude (optional)
            :param fq_list: more filters, each as fq (optional)
            :param sort: comma-separated 'field asc|desc' of score, id, name, metadata_modified, metadata_created, title_string
                (optional, default 'score desc, metadata_modified desc')
            :param rows: the most datasets to return (optional, default 10, at most 1000)
            :param start: how many matches to skip (optional, default 0)
            :param facet.field: a JSON list of facets to count: organization, groups, license_id, access_level (optional)
            :param facet.limit: the most values per facet, -1 for all (optional, default 50)
            :param facet.mincount: the fewest matches a facet value needs to be listed (optional, default 1)
            :param include_private: include the restricted datasets the caller may see (optional, default false)
            :rtype: dictionary with count, sort, facets, search_facets and results
            """, PackageSearchAsync),
        new("package_autocomplete", """
            Return datasets whose name or title contains the given text, for autocompletion.
            :param q: the text to look for; diacritics and case are ignored in titles
            :param limit: the most datasets to return (optional, default 10, at most 1000)
            :rtype: list of dictionaries with name, title, match_field and match_displayed
            """, PackageAutocompleteAsync),
        new("current_package_list_with_resources", """
            Return datasets (packages) with their resources, the most recently modified first.
            :param limit: the most datasets to return (optional, default 1000, at most 1000)
            :param offset: how many datasets to skip (optional, default 0)
            :param page: when given without offset, the page of limit datasets to return, from 1 (optional)
            :rtype: list of dictionaries
            """, CurrentPackageListAsync),
        new("resource_show", """
            Return the metadata of a resource. Every dataset has three: <dataset>-csv, <dataset>-odata and <dataset>-graphql.
            :param id: the id of the resource
            :rtype: dictionary
            """, ResourceShowAsync),
        new("organization_list", """
            Return a list of the names of the organizations (publishers) that have datasets.
            :param sort: 'name', 'title' or 'package_count', then 'asc' or 'desc' (optional, default 'title asc')
            :param limit: the most organizations to return (optional, default 1000)
            :param offset: how many organizations to skip (optional, default 0)
            :param organizations: names to return, of all if absent (optional)
            :param all_fields: return dictionaries instead of names (optional, default false)
            :param include_dataset_count: with all_fields, include package_count (optional, default true)
            :rtype: list of strings or dictionaries
            """, call => GroupListAsync(call, organizations: true)),
        new("organization_show", """
            Return the details of an organization (publisher).
            :param id: the id or name of the organization
            :param include_datasets: include up to 1000 of its datasets as packages (optional, default false)
            :param include_dataset_count: include package_count (optional, default true)
            :rtype: dictionary
            """, call => GroupShowAsync(call, organizations: true)),
        new("group_list", """
            Return a list of the names of the groups: the catalog's themes, each named by its theme folded to
            lower-case letters, digits and hyphens, with the theme as title.
            :param sort: 'name', 'title' or 'package_count', then 'asc' or 'desc' (optional, default 'title asc')
            :param limit: the most groups to return (optional, default 1000)
            :param offset: how many groups to skip (optional, default 0)
            :param groups: names to return, of all if absent (optional)
            :param all_fields: return dictionaries instead of names (optional, default false)
            :param include_dataset_count: with all_fields, include package_count (optional, default true)
            :rtype: list of strings or dictionaries
            """, call => GroupListAsync(call, organizations: false)),
        new("group_show", """
            Return the details of a group (a theme).
            :param id: the id or name of the group
            :param include_datasets: include up to 1000 of its datasets as packages (optional, default false)
            :param include_dataset_count: include package_count (optional, default true)
            :rtype: dictionary
            """, call => GroupShowAsync(call, organizations: false)),
        new("tag_list", """
            Return the tags (keywords) of the datasets, in name order.
            :param query: only tags containing this text; diacritics and case are ignored (optional)
            :param vocabulary_id: tags of this vocabulary; there are none, so the list is empty (optional)
            :param all_fields: return dictionaries instead of names (optional, default false)
            :rtype: list of strings or dictionaries
            """, TagListAsync),
        new("license_list", """
            Return the licences the datasets use.
            :rtype: list of dictionaries
            """, LicenseListAsync),
        new("status_show", """
            Return the site's address, title and the CKAN version whose API it follows.
            :rtype: dictionary with site_title, site_description, site_url, ckan_version, locale_default and extensions
            """, call => Task.FromResult<JsonNode?>(new JsonObject
        {
            ["site_title"] = "Danh mục dữ liệu mở Bộ Nội vụ",
            ["site_description"] = "Open data catalogue of the Ministry of Home Affairs",
            ["site_url"] = call.BaseUrl,
            ["ckan_version"] = CkanVersion,
            ["error_emails_to"] = null,
            ["locale_default"] = "vi",
            ["extensions"] = new JsonArray(),
        })),
        new("help_show", """
            Return the documentation of an action.
            :param name: the action's name
            :rtype: string
            """, HelpShowAsync),
    ];

    public static CkanAction? Find(string name) => _all.FirstOrDefault(a => a.Name == name);

    static Task<JsonNode?> HelpShowAsync(CkanCall call)
    {
        var name = call.Required("name");
        return Task.FromResult<JsonNode?>(Find(name) is { } action ? JsonValue.Create(action.Help) : throw CkanError.NotFound("Action function not found"));
    }

    static async Task<JsonNode?> PackageListAsync(CkanCall call)
    {
        var limit = call.Parameters.Int("limit", int.MaxValue);
        var offset = call.Parameters.Int("offset", 0);
        // CKAN never lists private datasets here, whoever asks.
        var all = await call.Store.ListAllAsync(call.CancellationToken);
        return Names(all.Where(d => d.Metadata.AccessLevel != AccessLevel.Restricted).Select(d => d.Id).Order(StringComparer.Ordinal).Skip(offset).Take(limit));
    }

    static async Task<JsonNode?> PackageShowAsync(CkanCall call)
    {
        var id = call.Required("id");
        var dataset = await call.Store.FindAsync(id, call.CancellationToken);
        return dataset is not null && call.Visibility.Sees(dataset) ? CkanDictionaries.Package(dataset, call.BaseUrl) : throw CkanError.NotFound();
    }

    static async Task<JsonNode?> ResourceShowAsync(CkanCall call)
    {
        var id = call.Required("id");
        var kind = CkanDictionaries.ResourceKinds.FirstOrDefault(k => id.EndsWith("-" + k, StringComparison.Ordinal));
        var dataset = kind is null ? null : await call.Store.FindAsync(id[..^(kind.Length + 1)], call.CancellationToken);
        return dataset is not null && call.Visibility.Sees(dataset)
            ? CkanDictionaries.Resource(dataset, kind!, Array.IndexOf(CkanDictionaries.ResourceKinds, kind), call.BaseUrl)
            : throw CkanError.NotFound("Not found: Resource was not found.");
    }

    static async Task<JsonNode?> PackageSearchAsync(CkanCall call)
    {
        var parameters = call.Parameters;
        var rows = parameters.Int("rows", 10);
        var start = parameters.Int("start", 0);
        if (rows > MaxRows)
        {
            throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", $"Must be less than or equal to {MaxRows}", "rows");
        }

        var text = parameters.String("q") ?? "";
        text = text is "*:*" or "*" ? "" : text;
        var sort = parameters.String("sort");
        var query = new DatasetQuery(text, Offset: start, Limit: rows, Order: CkanSearchQuery.ParseSort(sort));
        var filters = new List<string>(parameters.List("fq_list"));
        if (parameters.String("fq") is { } fq)
        {
            filters.Insert(0, fq);
        }

        // CKAN 2.10 leaves private datasets out of a search unless asked, even for callers who may see them.
        var visibility = parameters.Bool("include_private", false) ? call.Visibility : new Visibility([]);
        var groups = filters.Any(f => f.Contains("groups:", StringComparison.Ordinal)) ? await ThemesByGroupAsync(call) : [];
        query = CkanSearchQuery.ApplyFilter(query, filters, name => groups.TryGetValue(name, out var themes) ? themes : []);

        var page = await call.Store.SearchAsync(query, visibility, call.CancellationToken);
        var facetLimit = parameters.String("facet.limit") == "-1" ? int.MaxValue : parameters.Int("facet.limit", 50);
        var minCount = parameters.Int("facet.mincount", 1);
        var requested = parameters.List("facet.field");
        var searchFacets = new JsonObject();
        var facetNames = new Dictionary<string, string> { ["organization"] = "publisher", ["groups"] = "theme", ["license_id"] = "licence", ["access_level"] = "accessLevel" };
        foreach (var (ckanName, ourName) in facetNames.Where(f => requested.Contains(f.Key)))
        {
            var items = page.Facets[ourName]
                .Select(v => ckanName == "groups" ? v with { Label = v.Value, Value = CkanDictionaries.GroupName(v.Value) } : v)
                .GroupBy(v => v.Value, StringComparer.Ordinal)
                .Select(g => new FacetValue(g.Key, g.First().Label, g.Sum(v => v.Count)))
                .Where(v => v.Count >= minCount)
                .OrderByDescending(v => v.Count).ThenBy(v => v.Value, StringComparer.Ordinal)
                .Take(facetLimit);
            searchFacets[ckanName] = new JsonObject
            {
                ["title"] = ckanName,
                ["items"] = new JsonArray(items.Select(v => (JsonNode)new JsonObject
                {
                    ["name"] = v.Value,
                    ["display_name"] = v.Label ?? v.Value,
                    ["count"] = v.Count,
                }).ToArray()),
            };
        }

        return new JsonObject
        {
            ["count"] = page.Total,
            ["sort"] = sort ?? CkanSearchQuery.DefaultSort,
            ["facets"] = new JsonObject(searchFacets.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)new JsonObject(
                f.Value!["items"]!.AsArray().Select(i => KeyValuePair.Create(i!["name"]!.GetValue<string>(), (JsonNode?)i["count"]!.GetValue<long>())))))),
            ["search_facets"] = searchFacets,
            ["results"] = new JsonArray(page.Items.Select(d => (JsonNode)CkanDictionaries.Package(d, call.BaseUrl)).ToArray()),
        };
    }

    static async Task<JsonNode?> CurrentPackageListAsync(CkanCall call)
    {
        var limit = Math.Min(call.Parameters.Int("limit", MaxRows), MaxRows);
        var offset = call.Parameters.String("offset") is null && call.Parameters.Int("page", 0) is > 0 and var page
            ? (page - 1) * limit
            : call.Parameters.Int("offset", 0);
        var found = await call.Store.SearchAsync(
            new DatasetQuery(Offset: offset, Limit: Math.Max(limit, 1), Order: [new(DatasetSortKey.Modified, true)]), call.Visibility, call.CancellationToken);
        return new JsonArray(found.Items.Take(limit).Select(d => (JsonNode)CkanDictionaries.Package(d, call.BaseUrl)).ToArray());
    }

    static async Task<JsonNode?> PackageAutocompleteAsync(CkanCall call)
    {
        var text = call.Parameters.String("q") ?? "";
        var limit = Math.Min(call.Parameters.Int("limit", 10), MaxRows);
        var folded = TextFolding.Fold(text);
        if (folded.Length == 0)
        {
            return new JsonArray();
        }

        var matches = (await call.VisibleDatasetsAsync())
            .Select(d => (Dataset: d, ByName: d.Id.Contains(text.Trim().ToLowerInvariant(), StringComparison.Ordinal)
                || TextFolding.Fold(d.Id).Contains(folded, StringComparison.Ordinal)))
            .Where(m => m.ByName || TextFolding.Fold(m.Dataset.Metadata.Title.Vi + " " + m.Dataset.Metadata.Title.En).Contains(folded, StringComparison.Ordinal))
            .OrderByDescending(m => m.ByName).ThenBy(m => m.Dataset.Id, StringComparer.Ordinal)
            .Take(limit);
        return new JsonArray(matches.Select(m => (JsonNode)new JsonObject
        {
            ["name"] = m.Dataset.Id,
            ["title"] = m.Dataset.Metadata.Title.Vi,
            ["match_field"] = m.ByName ? "name" : "title",
            ["match_displayed"] = m.ByName ? m.Dataset.Id : $"{m.Dataset.Metadata.Title.Vi} ({m.Dataset.Id})",
        }).ToArray());
    }

    /// <summary>An organization or a group, with the datasets of it the caller may see.</summary>
    sealed record Collection(string Name, JsonObject Dictionary, List<Dataset> Datasets)
    {
        public string Title => Dictionary["title"]?.GetValue<string>() ?? Name;
    }

    /// <summary>The caller's organizations (publishers) or groups (themes), each with its visible datasets.</summary>
    static async Task<List<Collection>> CollectionsAsync(CkanCall call, bool organizations)
    {
        var datasets = await call.VisibleDatasetsAsync();
        return organizations
            ? datasets.GroupBy(d => d.Metadata.Publisher.Id!, StringComparer.Ordinal)
                .Select(g => new Collection(g.Key, CkanDictionaries.Organization(g.First().Metadata.Publisher), g.ToList())).ToList()
            : datasets.SelectMany(d => d.Metadata.Themes.Distinct(StringComparer.Ordinal).Select(t => (Theme: t, Dataset: d)))
                .GroupBy(p => CkanDictionaries.GroupName(p.Theme), StringComparer.Ordinal)
                .Select(g => new Collection(g.Key, CkanDictionaries.Group(g.Key, g.First().Theme), g.Select(p => p.Dataset).DistinctBy(d => d.Id).ToList())).ToList();
    }

    /// <summary>The themes each group name stands for, among the datasets the caller may see.</summary>
    static async Task<Dictionary<string, List<string>>> ThemesByGroupAsync(CkanCall call) =>
        (await call.VisibleDatasetsAsync()).SelectMany(d => d.Metadata.Themes).Distinct(StringComparer.Ordinal)
            .GroupBy(CkanDictionaries.GroupName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

    static async Task<JsonNode?> GroupListAsync(CkanCall call, bool organizations)
    {
        var parameters = call.Parameters;
        var sort = (parameters.String("sort") ?? parameters.String("order_by") ?? "title asc").Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var descending = sort.Length > 1 && sort[1].Equals("desc", StringComparison.OrdinalIgnoreCase);
        if (sort.Length > 2 || (sort.Length == 2 && !descending && !sort[1].Equals("asc", StringComparison.OrdinalIgnoreCase)) || sort[0] is not ("name" or "title" or "package_count"))
        {
            throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", $"Cannot sort by field `{string.Join(' ', sort)}`; sort by name, title or package_count, asc or desc.", "sort");
        }

        var limit = parameters.Int("limit", MaxRows);
        var offset = parameters.Int("offset", 0);
        var wanted = parameters.List(organizations ? "organizations" : "groups");
        var allFields = parameters.Bool("all_fields", false);
        var withCount = parameters.Bool("include_dataset_count", true);
        var collections = (await CollectionsAsync(call, organizations)).Where(c => wanted.Count == 0 || wanted.Contains(c.Name));
        // Names and folded titles compare ordinally, counts as numbers; ties go by name.
        Func<Collection, string> key = sort[0] switch
        {
            "name" => c => c.Name,
            "package_count" => c => c.Datasets.Count.ToString("D10", System.Globalization.CultureInfo.InvariantCulture),
            _ => c => TextFolding.Fold(c.Title),
        };
        var ordered = descending
            ? collections.OrderByDescending(key, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)
            : collections.OrderBy(key, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal);
        return new JsonArray(ordered.Skip(offset).Take(limit).Select(c =>
        {
            if (!allFields)
            {
                return (JsonNode)JsonValue.Create(c.Name)!;
            }

            if (withCount)
            {
                c.Dictionary["package_count"] = c.Datasets.Count;
            }

            return c.Dictionary;
        }).ToArray());
    }

    static async Task<JsonNode?> GroupShowAsync(CkanCall call, bool organizations)
    {
        var id = call.Required("id");
        var collection = (await CollectionsAsync(call, organizations)).FirstOrDefault(c => c.Name == id)
            ?? throw CkanError.NotFound(organizations ? "Not found: Organization was not found" : "Not found: Group was not found");
        var result = collection.Dictionary;
        if (call.Parameters.Bool("include_dataset_count", true))
        {
            result["package_count"] = collection.Datasets.Count;
        }

        result["packages"] = call.Parameters.Bool("include_datasets", false)
            ? new JsonArray(collection.Datasets.OrderByDescending(d => d.Modified).Take(MaxRows)
                .Select(d => (JsonNode)CkanDictionaries.Package(d, call.BaseUrl)).ToArray())
            : new JsonArray();
        result["extras"] = new JsonArray();
        result["tags"] = new JsonArray();
        result["groups"] = new JsonArray();
        result["users"] = new JsonArray();
        return result;
    }

    static async Task<JsonNode?> TagListAsync(CkanCall call)
    {
        if (call.Parameters.String("vocabulary_id") is not null)
        {
            return new JsonArray();
        }

        var query = TextFolding.Fold(call.Parameters.String("query"));
        var tags = (await call.VisibleDatasetsAsync()).SelectMany(d => d.Metadata.Keywords).Distinct(StringComparer.Ordinal)
            .Where(t => query.Length == 0 || TextFolding.Fold(t).Contains(query, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        return call.Parameters.Bool("all_fields", false)
            ? new JsonArray(tags.Select(t => (JsonNode)CkanDictionaries.Tag(t)).ToArray())
            : Names(tags);
    }

    static async Task<JsonNode?> LicenseListAsync(CkanCall call) =>
        new JsonArray((await call.VisibleDatasetsAsync()).Select(d => d.Metadata.Licence).Where(l => l.Id is not null)
            .DistinctBy(l => l.Id, StringComparer.Ordinal).OrderBy(l => l.Id, StringComparer.Ordinal)
            .Select(l => (JsonNode)new JsonObject
            {
                ["id"] = l.Id,
                ["title"] = l.Id,
                ["url"] = l.Url ?? "",
                ["status"] = "active",
                ["maintainer"] = "",
                ["family"] = "",
                ["od_conformance"] = "not reviewed",
                ["osd_conformance"] = "not reviewed",
                ["domain_content"] = false,
                ["domain_data"] = false,
                ["domain_software"] = false,
                ["is_generic"] = false,
                ["is_okd_compliant"] = false,
                ["is_osi_compliant"] = false,
            }).ToArray());

    static JsonArray Names(IEnumerable<string> names) => new(names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray());
}
