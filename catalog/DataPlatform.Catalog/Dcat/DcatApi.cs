using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Contracts.Access;
using Microsoft.AspNetCore.Mvc;

namespace DataPlatform.Catalog.Dcat;

/// <summary>
/// The catalog in DCAT-AP 3 as JSON-LD, for harvesters such as data.europa.eu's or CKAN's DCAT harvester:
/// a paged catalog document and one document per dataset. Restricted datasets appear only to callers
/// entitled to them, as in the REST API.
/// </summary>
public static class DcatApi
{
    const string MediaType = "application/ld+json";
    const int MaxPageSize = 500;

    static readonly JsonSerializerOptions _json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapDcatApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/catalog.jsonld", CatalogAsync).WithTags("DCAT").WithName("GetDcatCatalog")
            .WithSummary("The catalog in DCAT-AP 3 JSON-LD, paged (page, pageSize) and filterable by modified_since.")
            .Produces(StatusCodes.Status200OK, contentType: MediaType);
        app.MapGet("/catalog/datasets/{id}.jsonld", DatasetAsync).WithTags("DCAT").WithName("GetDcatDataset")
            .WithSummary("One dataset in DCAT-AP 3 JSON-LD.")
            .Produces(StatusCodes.Status200OK, contentType: MediaType);
        return app;
    }

    static async Task<IResult> CatalogAsync(
        HttpContext context, DatasetStore store, CancellationToken cancellationToken,
        [FromQuery] int page = 1, [FromQuery] int pageSize = 100, [FromQuery(Name = "modified_since")] string? modifiedSince = null)
    {
        if (page < 1 || pageSize < 1 || pageSize > MaxPageSize)
        {
            return CallerAccess.BadPaging($"page must be 1 or more, and pageSize between 1 and {MaxPageSize}.");
        }

        DateTimeOffset? since = null;
        if (modifiedSince is not null)
        {
            if (!DateTimeOffset.TryParse(modifiedSince, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return CallerAccess.BadPaging($"modified_since '{modifiedSince}' is not an ISO 8601 date or time, such as 2025-07-01T00:00:00Z.");
            }

            since = parsed;
        }

        var result = await store.SearchAsync(
            new DatasetQuery(ModifiedSince: since, Offset: (page - 1) * pageSize, Limit: pageSize), CallerAccess.Visibility(context), cancellationToken);
        var baseUrl = CallerAccess.BaseUrl(context);
        string PageUrl(int number) =>
            $"{baseUrl}/catalog.jsonld?page={number}&pageSize={pageSize}" + (modifiedSince is null ? "" : "&modified_since=" + Uri.EscapeDataString(modifiedSince));

        var lastPage = (int)Math.Max(1, (result.Total + pageSize - 1) / pageSize);
        var view = new JsonObject
        {
            ["@id"] = PageUrl(page),
            ["@type"] = "hydra:PartialCollectionView",
            ["hydra:first"] = PageUrl(1),
            ["hydra:last"] = PageUrl(lastPage),
        };
        if (page > 1)
        {
            view["hydra:previous"] = PageUrl(page - 1);
        }

        if (page < lastPage)
        {
            view["hydra:next"] = PageUrl(page + 1);
        }

        var catalog = new JsonObject
        {
            ["@context"] = Context(),
            ["@id"] = baseUrl + "/catalog.jsonld",
            ["@type"] = "dcat:Catalog",
            ["dct:title"] = Text("Danh mục dữ liệu mở Bộ Nội vụ", "Open data catalogue of the Ministry of Home Affairs"),
            ["dct:description"] = Text(
                "Các bộ dữ liệu do Bộ Nội vụ công bố, truy cập qua OData, GraphQL và tải về.",
                "Datasets published by Viet Nam's Ministry of Home Affairs, served through OData, GraphQL and downloads."),
            ["dct:publisher"] = new JsonObject
            {
                ["@id"] = "https://moha.gov.vn",
                ["@type"] = "foaf:Agent",
                ["foaf:name"] = Text("Bộ Nội vụ", "Ministry of Home Affairs"),
            },
            ["foaf:homepage"] = new JsonObject { ["@id"] = baseUrl },
            ["dct:language"] = new JsonArray(
                new JsonObject { ["@id"] = "http://publications.europa.eu/resource/authority/language/VIE" },
                new JsonObject { ["@id"] = "http://publications.europa.eu/resource/authority/language/ENG" }),
            ["hydra:totalItems"] = result.Total,
            ["hydra:view"] = view,
            ["dcat:dataset"] = new JsonArray(result.Items.Select(d => (JsonNode)Dataset(d, baseUrl)).ToArray()),
        };
        return Results.Text(catalog.ToJsonString(_json), MediaType, System.Text.Encoding.UTF8);
    }

    static async Task<IResult> DatasetAsync(string id, HttpContext context, DatasetStore store, CancellationToken cancellationToken)
    {
        var dataset = await store.FindAsync(id, cancellationToken);
        if (dataset is null || !CallerAccess.Visibility(context).Sees(dataset))
        {
            return CallerAccess.NotFound(id);
        }

        var document = Dataset(dataset, CallerAccess.BaseUrl(context));
        document.Insert(0, "@context", Context());
        return Results.Text(document.ToJsonString(_json), MediaType, System.Text.Encoding.UTF8);
    }

    /// <summary>One dataset as a <c>dcat:Dataset</c> with three distributions: OData, GraphQL and the CSV download.</summary>
    public static JsonObject Dataset(Dataset dataset, string baseUrl)
    {
        var m = dataset.Metadata;
        var links = DatasetView.LinksFor(dataset.Id, baseUrl);
        var licence = new JsonObject { ["@id"] = m.Licence.Url, ["@type"] = "dct:LicenseDocument", ["dct:identifier"] = m.Licence.Id };
        JsonObject Distribution(string suffix, string title, string accessUrl, string format, string mediaType, bool download)
        {
            var distribution = new JsonObject
            {
                ["@id"] = $"{links.Self}#{suffix}",
                ["@type"] = "dcat:Distribution",
                ["dct:title"] = title,
                ["dcat:accessURL"] = new JsonObject { ["@id"] = accessUrl },
                ["dct:format"] = new JsonObject { ["@id"] = "http://publications.europa.eu/resource/authority/file-type/" + format },
                ["dcat:mediaType"] = new JsonObject { ["@id"] = "https://www.iana.org/assignments/media-types/" + mediaType },
                ["dct:license"] = licence.DeepClone(),
                ["dct:modified"] = Date(dataset.Modified),
            };
            if (download)
            {
                distribution["dcat:downloadURL"] = new JsonObject { ["@id"] = accessUrl };
            }

            return distribution;
        }

        var node = new JsonObject
        {
            ["@id"] = links.Self,
            ["@type"] = "dcat:Dataset",
            ["dct:identifier"] = dataset.Id,
            ["dct:title"] = Text(m.Title.Vi!, m.Title.En!),
            ["dct:description"] = Text(m.Description.Vi!, m.Description.En!),
            ["dct:publisher"] = new JsonObject
            {
                ["@id"] = m.Publisher.Url is { Length: > 0 } url ? $"{url.TrimEnd('/')}#{m.Publisher.Id}" : $"{baseUrl}/organizations/{m.Publisher.Id}",
                ["@type"] = "foaf:Agent",
                ["dct:identifier"] = m.Publisher.Id,
                ["foaf:name"] = m.Publisher.NameEn is null ? m.Publisher.Name : Text(m.Publisher.Name!, m.Publisher.NameEn),
            },
            ["dcat:contactPoint"] = new JsonObject
            {
                ["@type"] = "vcard:Organization",
                ["vcard:fn"] = m.ContactPoint.Name,
                ["vcard:hasEmail"] = new JsonObject { ["@id"] = "mailto:" + m.ContactPoint.Email },
            },
            ["dcat:keyword"] = new JsonArray(m.Keywords.Select(k => (JsonNode)new JsonObject { ["@value"] = k, ["@language"] = "vi" }).ToArray()),
            ["dcat:theme"] = new JsonArray(m.Themes.Select(t => (JsonNode)new JsonObject
            {
                ["@type"] = "skos:Concept",
                ["skos:prefLabel"] = new JsonObject { ["@value"] = t, ["@language"] = "vi" },
            }).ToArray()),
            ["dct:license"] = licence,
            ["dct:accessRights"] = new JsonObject
            {
                ["@id"] = "http://publications.europa.eu/resource/authority/access-right/" + m.AccessLevel switch
                {
                    AccessLevel.Open => "PUBLIC",
                    AccessLevel.Restricted => "NON_PUBLIC",
                    _ => "RESTRICTED",
                },
            },
            ["dct:issued"] = Date(dataset.Created),
            ["dct:modified"] = Date(dataset.Modified),
            ["adms:version"] = dataset.CurrentVersion.ToString(CultureInfo.InvariantCulture),
            ["dcat:landingPage"] = new JsonObject { ["@id"] = links.Self },
            ["dcat:distribution"] = new JsonArray(
                Distribution("odata", "OData", links.OData, "JSON", "application/json", download: false),
                Distribution("graphql", "GraphQL", links.GraphQL, "JSON", "application/graphql-response+json", download: false),
                Distribution("csv", "CSV", links.Download, "CSV", "text/csv", download: true)),
        };
        if (m.AccrualPeriodicity is { Length: > 0 } frequency)
        {
            node["dct:accrualPeriodicity"] = new JsonObject
            {
                ["@id"] = frequency.Contains("://", StringComparison.Ordinal) ? frequency : "http://publications.europa.eu/resource/authority/frequency/" + frequency,
            };
        }

        if (m.Temporal is { } temporal)
        {
            var period = new JsonObject { ["@type"] = "dct:PeriodOfTime" };
            if (temporal.Start is { } start)
            {
                period["dcat:startDate"] = new JsonObject { ["@value"] = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["@type"] = "xsd:date" };
            }

            if (temporal.End is { } end)
            {
                period["dcat:endDate"] = new JsonObject { ["@value"] = end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["@type"] = "xsd:date" };
            }

            node["dct:temporal"] = period;
        }

        if (m.Spatial is { Length: > 0 } spatial)
        {
            node["dct:spatial"] = new JsonObject { ["@type"] = "dct:Location", ["skos:prefLabel"] = spatial };
        }

        if (m.Source is { Length: > 0 } source)
        {
            node["dct:provenance"] = new JsonObject { ["@type"] = "dct:ProvenanceStatement", ["rdfs:label"] = source };
        }

        if (m.Synthetic)
        {
            node["adms:status"] = new JsonObject { ["@id"] = "http://purl.org/adms/status/UnderDevelopment" };
            node["rdfs:comment"] = m.SyntheticDescription;
        }

        return node;
    }

    static JsonObject Context() => new()
    {
        ["dcat"] = "http://www.w3.org/ns/dcat#",
        ["dct"] = "http://purl.org/dc/terms/",
        ["foaf"] = "http://xmlns.com/foaf/0.1/",
        ["vcard"] = "http://www.w3.org/2006/vcard/ns#",
        ["skos"] = "http://www.w3.org/2004/02/skos/core#",
        ["adms"] = "http://www.w3.org/ns/adms#",
        ["rdfs"] = "http://www.w3.org/2000/01/rdf-schema#",
        ["xsd"] = "http://www.w3.org/2001/XMLSchema#",
        ["hydra"] = "http://www.w3.org/ns/hydra/core#",
    };

    static JsonArray Text(string vi, string en) => new(
        new JsonObject { ["@value"] = vi, ["@language"] = "vi" },
        new JsonObject { ["@value"] = en, ["@language"] = "en" });

    static JsonObject Date(DateTimeOffset moment) => new()
    {
        ["@value"] = moment.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["@type"] = "xsd:dateTime",
    };
}
