using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.ConsumerContext;

namespace DataPlatform.Catalog.Tests;

/// <summary>Builds the datasets the tests publish; every id is new, so no test sees another's data.</summary>
static class CatalogTestData
{
    public static string NewId(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 100)];

    /// <summary>A word no other test uses, to find one test's datasets by search.</summary>
    public static string NewWord() => "zq" + Guid.NewGuid().ToString("N")[..10];

    public static JsonObject Metadata(
        string titleVi = "Dân số Hà Nội", string titleEn = "Population of Hanoi", string access = "open", string? productId = null,
        string publisherId = "vu-thu-nghiem", string publisherName = "Vụ Thử nghiệm", IEnumerable<string>? keywords = null,
        IEnumerable<string>? themes = null, string licence = "CC-BY-4.0", JsonArray? columns = null) => new()
        {
            ["title"] = new JsonObject { ["vi"] = titleVi, ["en"] = titleEn },
            ["description"] = new JsonObject { ["vi"] = "Mô tả: " + titleVi, ["en"] = "About: " + titleEn },
            ["publisher"] = new JsonObject { ["id"] = publisherId, ["name"] = publisherName },
            ["contactPoint"] = new JsonObject { ["name"] = "Phòng Dữ liệu", ["email"] = "dulieu@example.vn" },
            ["themes"] = new JsonArray((themes ?? ["Dân cư"]).Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            ["keywords"] = new JsonArray((keywords ?? ["dân số"]).Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            ["licence"] = new JsonObject { ["id"] = licence, ["url"] = "https://creativecommons.org/licenses/by/4.0/" },
            ["accessLevel"] = access,
            ["productId"] = productId,
            ["accrualPeriodicity"] = "ANNUAL",
            ["temporal"] = new JsonObject { ["start"] = "2024-01-01", ["end"] = "2024-12-31" },
            ["spatial"] = "Việt Nam",
            ["source"] = "Tests",
            ["synthetic"] = true,
            ["syntheticDescription"] = "Made up by a test.",
            ["columns"] = columns ?? [],
        };

    public static JsonObject Column(string name, string? type = null, bool key = false, bool filterable = false, string sensitivity = "public", bool? nullable = null)
    {
        var column = new JsonObject { ["name"] = name, ["key"] = key, ["filterable"] = filterable, ["sensitivity"] = sensitivity };
        if (type is not null)
        {
            column["type"] = type;
        }

        if (nullable is not null)
        {
            column["nullable"] = nullable;
        }

        return column;
    }

    public static HttpClient Publisher(this PlatformFixture platform) =>
        platform.CreateCatalogClient(PlatformFixture.Consumer("acct-publisher", Roles.Publisher));

    public static HttpClient Entitled(this PlatformFixture platform, params string[] entitlements) =>
        platform.CreateCatalogClient(new ConsumerContext("acct-entitled", "acct-entitled", [], entitlements, "partner", "127.0.0.1", DateTimeOffset.UtcNow));

    public static async Task CreateAsync(this HttpClient client, string id, JsonObject metadata)
    {
        using var response = await client.PutAsJsonAsync($"/api/v1/datasets/{id}", metadata);
        Assert.True(response.IsSuccessStatusCode, $"PUT {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static Task<HttpResponseMessage> PublishAsync(this HttpClient client, string id, string csv) =>
        client.PublishAsync(id, Encoding.UTF8.GetBytes(csv));

    public static async Task<HttpResponseMessage> PublishAsync(this HttpClient client, string id, byte[] csv)
    {
        using var content = new ByteArrayContent(csv);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        return await client.PostAsync($"/api/v1/datasets/{id}/versions", content);
    }

    public static async Task PublishOkAsync(this HttpClient client, string id, string csv)
    {
        using var response = await client.PublishAsync(id, csv);
        Assert.True(response.IsSuccessStatusCode, $"publish {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<JsonElement> JsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static IEnumerable<JsonElement> Rows(this JsonElement page) => page.GetProperty("rows").EnumerateArray();
}
