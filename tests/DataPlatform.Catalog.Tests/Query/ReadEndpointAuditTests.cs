using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Access;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// Every endpoint of the catalog is either a read of rows, which must go through the query executor and so leave an
/// audit entry when the dataset is restricted, or one that reads no rows. The test enumerates the catalog's real
/// endpoints, so a new endpoint fails it until it is put in one list or the other, and calls each read of rows on a
/// restricted dataset to see its audit entry.
/// </summary>
public abstract class ReadEndpointAuditTests(PlatformFixture platform)
{
    /// <summary>The reads of rows, with a request that reads the restricted dataset <c>{id}</c> (field <c>{field}</c>).</summary>
    static readonly Dictionary<string, string> _rowReads = new(StringComparer.Ordinal)
    {
        ["GET /odata/{datasetId}/Records"] = "/odata/{id}/Records?$top=1",
        ["GET /odata/{datasetId}/Records({key})"] = "/odata/{id}/Records('01')",
        ["GET /odata/{datasetId}/Records/$count"] = "/odata/{id}/Records/$count?$filter=code eq '01'",
        ["GET /graphql"] = "/graphql?query=" + Uri.EscapeDataString("{ {field}(first: 1) { nodes { code } } }"),
        ["POST /graphql"] = "/graphql?query=" + Uri.EscapeDataString("{ {field}(first: 1) { totalCount } }"),
        ["GET /api/v1/datasets/{id}/rows"] = "/api/v1/datasets/{id}/rows?limit=1",
        ["GET /api/v1/datasets/{id}/download.{format}"] = "/api/v1/datasets/{id}/download.csv?$filter=code eq '01'",
    };

    /// <summary>Endpoints that read no rows: metadata, publishing, health, documents about the service.</summary>
    static readonly HashSet<string> _noRows = new(StringComparer.Ordinal)
    {
        "ANY /health/live",
        "ANY /health/ready",
        "ANY /metrics",
        "GET /.well-known/jwks.json",
        "GET /api/3/action/{action}",
        "POST /api/3/action/{action}",
        "GET /api/action/{action}",
        "POST /api/action/{action}",
        "GET /api/v1/datasets/",
        "GET /api/v1/datasets/{id}",
        "GET /api/v1/datasets/{id}/versions",
        "GET /api/v1/datasets/{id}/versions/{version:int}",
        "GET /api/v1/query-audit/",
        "GET /catalog.jsonld",
        "GET /catalog/datasets/{id}.jsonld",
        "GET /odata/{datasetId}/",
        "GET /odata/{datasetId}/$metadata",
        "GET /odata/{datasetId}/{**rest}",
        // Headers only: the size and validators of the file a GET would send.
        "HEAD /api/v1/datasets/{id}/download.{format}",
        "PUT /api/v1/datasets/{id}",
        "POST /api/v1/datasets/{id}/versions",
        "DELETE /api/v1/datasets/{id}",
    };

    /// <summary>Every read that names one dataset in its path, with a request for the dataset <c>{id}</c>.</summary>
    static readonly Dictionary<string, string> _datasetReads = new(StringComparer.Ordinal)
    {
        ["GET /api/v1/datasets/{id}"] = "/api/v1/datasets/{id}",
        ["GET /api/v1/datasets/{id}/versions"] = "/api/v1/datasets/{id}/versions",
        ["GET /api/v1/datasets/{id}/versions/{version:int}"] = "/api/v1/datasets/{id}/versions/1",
        ["GET /api/v1/datasets/{id}/rows"] = "/api/v1/datasets/{id}/rows?limit=1",
        ["GET /api/v1/datasets/{id}/download.{format}"] = "/api/v1/datasets/{id}/download.csv",
        ["HEAD /api/v1/datasets/{id}/download.{format}"] = "/api/v1/datasets/{id}/download.parquet",
        ["GET /catalog/datasets/{id}.jsonld"] = "/catalog/datasets/{id}.jsonld",
        ["GET /odata/{datasetId}/"] = "/odata/{id}/",
        ["GET /odata/{datasetId}/$metadata"] = "/odata/{id}/$metadata",
        ["GET /odata/{datasetId}/Records"] = "/odata/{id}/Records?$top=1",
        ["GET /odata/{datasetId}/Records({key})"] = "/odata/{id}/Records('01')",
        ["GET /odata/{datasetId}/Records/$count"] = "/odata/{id}/Records/$count",
        ["GET /odata/{datasetId}/{**rest}"] = "/odata/{id}/Rows",
    };

    /// <summary>More reads of the same endpoints (digests, signatures, filters), and the CKAN actions that name one dataset or one of its resources.</summary>
    static readonly string[] _moreDatasetReads =
    [
        "/api/v1/datasets/{id}/download.csv.sha256",
        "/api/v1/datasets/{id}/download.xlsx.jws",
        "/api/v1/datasets/{id}/download.json?$filter=code eq '01'",
        "/odata/{id}/Records?$filter=code eq '01'&$count=true",
        "/api/3/action/package_show?id={id}",
        "/api/action/package_show?id={id}",
        "/api/3/action/resource_show?id={id}-csv",
    ];

    [Fact]
    public async Task Every_read_of_a_restricted_dataset_answers_404_to_a_caller_who_may_not_see_it()
    {
        var id = CatalogTestData.NewId("hidden");
        var other = CatalogTestData.NewId("other");
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata(access: "restricted",
                columns: [CatalogTestData.Column("code", "string", key: true, filterable: true), CatalogTestData.Column("name", "string")]));
            await publisher.PublishOkAsync(id, "code,name\n01,Hà Nội\n");
        }

        var endpoints = Endpoints().Where(e => !e.StartsWith("PUT", StringComparison.Ordinal) && !e.StartsWith("POST", StringComparison.Ordinal)
            && !e.StartsWith("DELETE", StringComparison.Ordinal) && (e.Contains("{id}", StringComparison.Ordinal) || e.Contains("{datasetId}", StringComparison.Ordinal)));
        var uncovered = endpoints.Where(e => !_datasetReads.ContainsKey(e)).Order(StringComparer.Ordinal).ToList();
        Assert.True(uncovered.Count == 0, "Add a request for these endpoints that name a dataset:\n" + string.Join("\n", uncovered));

        var callers = new (string Name, HttpClient Client)[]
        {
            ("anonymous, direct", platform.CreateCatalogClient()),
            ("a key holding other grants, direct", platform.Entitled(Entitlements.Dataset(other), Entitlements.Product("san-pham-khac"))),
            ("anonymous, through the gateway", platform.CreateGatewayClient()),
        };
        var refusals = new List<string>();
        foreach (var (name, client) in callers)
        {
            using (client)
            {
                foreach (var path in _datasetReads.Values.Concat(_moreDatasetReads).Select(p => p.Replace("{id}", id, StringComparison.Ordinal)))
                {
                    using var request = new HttpRequestMessage(path.Contains("parquet", StringComparison.Ordinal) ? HttpMethod.Head : HttpMethod.Get, path);
                    using var response = await client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != System.Net.HttpStatusCode.NotFound || body.Contains("restrict", StringComparison.OrdinalIgnoreCase))
                    {
                        refusals.Add($"{name}: {path} answered {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
                    }
                }
            }
        }

        Assert.True(refusals.Count == 0, "These reads told a caller that the dataset exists:\n" + string.Join("\n", refusals));
    }

    HashSet<string> Endpoints() => platform.Platform.Catalog!.Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
            .Select(method => $"{method} {e.RoutePattern.RawText}"))
        .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public async Task Every_endpoint_that_reads_rows_of_a_restricted_dataset_leaves_an_audit_entry()
    {
        var id = CatalogTestData.NewId("audited");
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata(access: "restricted",
                columns: [CatalogTestData.Column("code", "string", key: true, filterable: true), CatalogTestData.Column("name", "string")]));
            await publisher.PublishOkAsync(id, "code,name\n01,Hà Nội\n02,Hà Giang\n");
        }

        var endpoints = Endpoints();
        var unclassified = endpoints.Where(e => !_rowReads.ContainsKey(e) && !_noRows.Contains(e)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unclassified.Count == 0, "Classify these endpoints as reads of rows or not:\n" + string.Join("\n", unclassified));

        using var reader = platform.Entitled(Entitlements.Dataset(id));
        using var admin = platform.CreateCatalogClient(PlatformFixture.Consumer("acct-admin", Roles.Admin));
        var field = id.Replace('-', '_');
        foreach (var (endpoint, template) in _rowReads.Where(r => endpoints.Contains(r.Key)))
        {
            var before = (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?datasetId={id}")).GetArrayLength();
            var path = template.Replace("{id}", id, StringComparison.Ordinal).Replace("%7Bfield%7D", field, StringComparison.Ordinal);
            using var response = endpoint.StartsWith("POST", StringComparison.Ordinal)
                ? await reader.PostAsync("/graphql", JsonContent.Create(new { query = Uri.UnescapeDataString(path["/graphql?query=".Length..]) }))
                : await reader.GetAsync(path);
            await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.IsSuccessStatusCode, $"{endpoint}: {(int)response.StatusCode}");

            var after = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?datasetId={id}");
            Assert.True(after.GetArrayLength() == before + 1, $"{endpoint} left {after.GetArrayLength() - before} audit entries");
            Assert.Equal("acct-entitled", after[0].GetProperty("consumerId").GetString());
        }
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class ReadEndpointAuditTests_Embedded(CatalogEmbeddedFixture platform) : ReadEndpointAuditTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class ReadEndpointAuditTests_Production(CatalogProductionFixture platform) : ReadEndpointAuditTests(platform);
