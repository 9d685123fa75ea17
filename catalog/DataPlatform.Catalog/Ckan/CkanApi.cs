using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Ckan;

/// <summary>
/// A read-only subset of CKAN's Action API (version 3), so that harvesters and clients written for CKAN
/// (ckanapi, CKAN's own harvester, the data portals' crawlers) work against the catalog unchanged. Answers
/// use CKAN's envelope <c>{help, success, result}</c>, and errors CKAN's <c>{success: false, error: {__type,
/// message}}</c> with CKAN's status codes.
/// </summary>
public static partial class CkanApi
{
    const int DefaultRows = 10;
    const int MaxRows = 1000;

    static readonly JsonSerializerOptions _json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex("""(?<field>[a-z_]+):(?:"(?<quoted>[^"]*)"|(?<plain>[^\s"]+))""")]
    private static partial Regex FilterClause();

    public static IEndpointRouteBuilder MapCkanApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/3/action/{action}", HandleAsync).WithTags("CKAN").WithName("CkanAction")
            .WithSummary("CKAN-compatible actions: package_list, package_show, package_search, organization_list.");
        return app;
    }

    static async Task<IResult> HandleAsync(string action, HttpContext context, DatasetStore store, CancellationToken cancellationToken)
    {
        var baseUrl = CallerAccess.BaseUrl(context);
        var help = $"{baseUrl}/api/3/action/help_show?name={Uri.EscapeDataString(action)}";
        var query = context.Request.Query;
        var visibility = CallerAccess.Visibility(context);
        try
        {
            JsonNode? result = action switch
            {
                "package_list" => await PackageListAsync(store, visibility, Int(query["limit"], int.MaxValue, "limit"), Int(query["offset"], 0, "offset"), cancellationToken),
                "package_show" => await PackageShowAsync(store, visibility, query["id"].ToString(), baseUrl, cancellationToken),
                "package_search" => await PackageSearchAsync(store, visibility, query, baseUrl, cancellationToken),
                "organization_list" => await OrganizationListAsync(store, visibility, query["all_fields"] == "true", cancellationToken),
                _ => throw new CkanError(StatusCodes.Status400BadRequest, "Bad Request", $"Bad request - Action name not known: {action}"),
            };
            return Reply(new JsonObject { ["help"] = help, ["success"] = true, ["result"] = result }, StatusCodes.Status200OK);
        }
        catch (CkanError error)
        {
            var body = new JsonObject { ["__type"] = error.Type, ["message"] = error.Message };
            if (error.Field is not null)
            {
                body[error.Field] = new JsonArray(error.Message);
            }

            return Reply(new JsonObject { ["help"] = help, ["success"] = false, ["error"] = body }, error.Status);
        }
    }

    static async Task<JsonNode> PackageListAsync(DatasetStore store, Visibility visibility, int limit, int offset, CancellationToken cancellationToken)
    {
        var all = await store.ListAllAsync(cancellationToken);
        return new JsonArray(all.Where(visibility.Sees).Select(d => d.Id).Order(StringComparer.Ordinal).Skip(offset).Take(limit)
            .Select(id => (JsonNode)JsonValue.Create(id)!).ToArray());
    }

    static async Task<JsonNode> PackageShowAsync(DatasetStore store, Visibility visibility, string id, string baseUrl, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", "Missing value", "id");
        }

        var dataset = await store.FindAsync(id, cancellationToken);
        return dataset is not null && visibility.Sees(dataset)
            ? Package(dataset, baseUrl)
            : throw new CkanError(StatusCodes.Status404NotFound, "Not Found Error", "Not found");
    }

    static async Task<JsonNode> PackageSearchAsync(DatasetStore store, Visibility visibility, IQueryCollection query, string baseUrl, CancellationToken cancellationToken)
    {
        var rows = Int(query["rows"], DefaultRows, "rows");
        var start = Int(query["start"], 0, "start");
        if (rows > MaxRows)
        {
            throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", $"Must be less than or equal to {MaxRows}", "rows");
        }

        var text = query["q"].ToString();
        text = text is "*:*" or "*" ? "" : text;
        string? organization = null, group = null, licence = null;
        AccessLevel? access = null;
        var fq = query["fq"].ToString();
        var rest = FilterClause().Replace(fq, match =>
        {
            var value = match.Groups["quoted"].Success ? match.Groups["quoted"].Value : match.Groups["plain"].Value;
            switch (match.Groups["field"].Value)
            {
                case "organization" or "owner_org":
                    organization = value;
                    break;
                case "groups":
                    group = value;
                    break;
                case "license_id":
                    licence = value;
                    break;
                case "access_level" when Enum.TryParse<AccessLevel>(value, ignoreCase: true, out var level):
                    access = level;
                    break;
                case "tags" or "res_format" or "name" or "text":
                    // Keywords, formats and names are folded into the search text, so these narrow the text search.
                    text += " " + value;
                    break;
                default:
                    throw new CkanError(StatusCodes.Status409Conflict, "Search Query Error",
                        $"Search Query is invalid: field '{match.Groups["field"].Value}' is not searchable here; use organization, groups, license_id, access_level, tags or res_format.");
            }

            return "";
        });
        if (rest.Replace("AND", "", StringComparison.Ordinal).Replace("+", "", StringComparison.Ordinal).Trim().Length > 0)
        {
            throw new CkanError(StatusCodes.Status409Conflict, "Search Query Error", $"Search Query is invalid: cannot read '{rest.Trim()}' in fq; write field:value clauses.");
        }

        var page = await store.SearchAsync(new DatasetQuery(text, organization, group, access, licence, null, start, rows), visibility, cancellationToken);
        var searchFacets = new JsonObject();
        var facetNames = new Dictionary<string, string> { ["organization"] = "publisher", ["groups"] = "theme", ["license_id"] = "licence", ["access_level"] = "accessLevel" };
        var requested = ParseFacetFields(query["facet.field"].ToString());
        foreach (var (ckanName, ourName) in facetNames.Where(f => requested.Contains(f.Key)))
        {
            searchFacets[ckanName] = new JsonObject
            {
                ["title"] = ckanName,
                ["items"] = new JsonArray(page.Facets[ourName].Select(v => (JsonNode)new JsonObject
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
            ["sort"] = "metadata_modified desc",
            ["facets"] = new JsonObject(searchFacets.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)new JsonObject(
                f.Value!["items"]!.AsArray().Select(i => KeyValuePair.Create(i!["name"]!.GetValue<string>(), (JsonNode?)i["count"]!.GetValue<long>())))))),
            ["search_facets"] = searchFacets,
            ["results"] = new JsonArray(page.Items.Select(d => (JsonNode)Package(d, baseUrl)).ToArray()),
        };
    }

    static async Task<JsonNode> OrganizationListAsync(DatasetStore store, Visibility visibility, bool allFields, CancellationToken cancellationToken)
    {
        var organizations = (await store.ListAllAsync(cancellationToken)).Where(visibility.Sees)
            .GroupBy(d => d.Metadata.Publisher.Id!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        return new JsonArray(organizations.Select(g => allFields
            ? Organization(g.First().Metadata.Publisher, g.Count())
            : (JsonNode)JsonValue.Create(g.Key)!).ToArray());
    }

    /// <summary>A dataset as a CKAN package dictionary.</summary>
    static JsonObject Package(Dataset dataset, string baseUrl)
    {
        var m = dataset.Metadata;
        var links = DatasetView.LinksFor(dataset.Id, baseUrl);
        JsonObject Resource(string suffix, string name, string format, string url, string mimetype) => new()
        {
            ["id"] = $"{dataset.Id}-{suffix}",
            ["package_id"] = dataset.Id,
            ["name"] = name,
            ["format"] = format,
            ["mimetype"] = mimetype,
            ["url"] = url,
            ["state"] = "active",
            ["last_modified"] = CkanTime(dataset.Modified),
        };
        var extras = new List<(string, string?)>
        {
            ("access_level", DatasetStore.AccessName(m.AccessLevel)),
            ("product_id", m.AccessLevel == AccessLevel.Paid ? m.ProductId : null),
            ("frequency", m.AccrualPeriodicity),
            ("spatial_text", m.Spatial),
            ("temporal_start", m.Temporal?.Start?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            ("temporal_end", m.Temporal?.End?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            ("source", m.Source),
            ("synthetic", m.Synthetic ? "true" : "false"),
            ("synthetic_description", m.SyntheticDescription),
            ("title_en", m.Title.En),
            ("dcat_uri", links.Dcat),
        };
        return new JsonObject
        {
            ["id"] = dataset.Id,
            ["name"] = dataset.Id,
            ["type"] = "dataset",
            ["state"] = "active",
            ["private"] = m.AccessLevel == AccessLevel.Restricted,
            ["title"] = m.Title.Vi,
            ["title_translated"] = new JsonObject { ["vi"] = m.Title.Vi, ["en"] = m.Title.En },
            ["notes"] = m.Description.Vi,
            ["notes_translated"] = new JsonObject { ["vi"] = m.Description.Vi, ["en"] = m.Description.En },
            ["url"] = links.Self,
            ["version"] = dataset.CurrentVersion.ToString(CultureInfo.InvariantCulture),
            ["maintainer"] = m.ContactPoint.Name,
            ["maintainer_email"] = m.ContactPoint.Email,
            ["author"] = m.Publisher.Name,
            ["license_id"] = m.Licence.Id,
            ["license_title"] = m.Licence.Id,
            ["license_url"] = m.Licence.Url,
            ["metadata_created"] = CkanTime(dataset.Created),
            ["metadata_modified"] = CkanTime(dataset.Modified),
            ["owner_org"] = m.Publisher.Id,
            ["organization"] = Organization(m.Publisher, null),
            ["num_tags"] = m.Keywords.Count,
            ["tags"] = new JsonArray(m.Keywords.Select(k => (JsonNode)new JsonObject { ["name"] = k, ["display_name"] = k, ["state"] = "active" }).ToArray()),
            ["groups"] = new JsonArray(m.Themes.Select(t => (JsonNode)new JsonObject { ["name"] = t, ["title"] = t, ["display_name"] = t }).ToArray()),
            ["num_resources"] = 3,
            ["resources"] = new JsonArray(
                Resource("csv", "CSV", "CSV", links.Download, "text/csv"),
                Resource("odata", "OData", "OData", links.OData, "application/json"),
                Resource("graphql", "GraphQL", "GraphQL", links.GraphQL, "application/graphql-response+json")),
            ["extras"] = new JsonArray(extras.Where(e => e.Item2 is not null)
                .Select(e => (JsonNode)new JsonObject { ["key"] = e.Item1, ["value"] = e.Item2 }).ToArray()),
        };
    }

    static JsonObject Organization(Publisher publisher, int? packageCount)
    {
        var organization = new JsonObject
        {
            ["id"] = publisher.Id,
            ["name"] = publisher.Id,
            ["title"] = publisher.Name,
            ["display_name"] = publisher.Name,
            ["description"] = publisher.NameEn ?? "",
            ["type"] = "organization",
            ["is_organization"] = true,
            ["state"] = "active",
            ["approval_status"] = "approved",
        };
        if (packageCount is { } count)
        {
            organization["package_count"] = count;
        }

        return organization;
    }

    static HashSet<string> ParseFacetFields(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<string[]>(value)?.ToHashSet(StringComparer.Ordinal) ?? [];
        }
        catch (JsonException)
        {
            throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", "facet.field must be a JSON list of field names, such as [\"organization\"]", "facet.field");
        }
    }

    static int Int(Microsoft.Extensions.Primitives.StringValues value, int fallback, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", "Invalid integer", name);
    }

    /// <summary>CKAN writes times as ISO 8601 in UTC without an offset, with microseconds.</summary>
    static string CkanTime(DateTimeOffset moment) => moment.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    static IResult Reply(JsonObject body, int status) =>
        Results.Text(body.ToJsonString(_json), "application/json", System.Text.Encoding.UTF8, status);

    sealed class CkanError(int status, string type, string message, string? field = null) : Exception(message)
    {
        public int Status { get; } = status;

        public string Type { get; } = type;

        public string? Field { get; } = field;
    }
}
