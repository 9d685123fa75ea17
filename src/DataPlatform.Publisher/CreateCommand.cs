using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataPlatform.Publisher;

/// <summary>
/// Creates a dataset's catalog entry from a metadata file, flags, or both (flags win), so that a publisher can go from
/// nothing to a published dataset with this tool alone; <see cref="WriteTemplateAsync"/> writes an example with every
/// field the catalog requires, filled in, to edit.
/// </summary>
sealed class CreateCommand(string gateway, string? apiKey, TextWriter output, HttpMessageHandler? handler = null)
{
    static readonly JsonSerializerOptions _indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The flags that set metadata fields, by the JSON path they set.</summary>
    public static readonly IReadOnlyList<(string Flag, string Path, string Description)> Fields =
    [
        ("--title-vi", "title.vi", "The title in Vietnamese."),
        ("--title-en", "title.en", "The title in English."),
        ("--description-vi", "description.vi", "The description in Vietnamese."),
        ("--description-en", "description.en", "The description in English."),
        ("--publisher-id", "publisher.id", "The publishing body's id, such as bo-noi-vu."),
        ("--publisher-name", "publisher.name", "The publishing body's name."),
        ("--contact-name", "contactPoint.name", "Who answers questions about the data."),
        ("--contact-email", "contactPoint.email", "Their e-mail address."),
        ("--licence-id", "licence.id", "The licence, such as CC-BY-4.0."),
        ("--licence-url", "licence.url", "The licence's URL."),
        ("--access-level", "accessLevel", "open, registered, paid or restricted."),
        ("--product", "productId", "The data product a paid dataset belongs to."),
    ];

    /// <summary>An example with every mandatory field (and a few useful optional ones), in the catalog's shape.</summary>
    public static JsonObject Template() => new()
    {
        ["title"] = new JsonObject { ["vi"] = "Danh sách đơn vị hành chính cấp tỉnh", ["en"] = "Provincial administrative units" },
        ["description"] = new JsonObject
        {
            ["vi"] = "Mã và tên các tỉnh, thành phố trực thuộc trung ương.",
            ["en"] = "Codes and names of the provinces and centrally governed cities.",
        },
        ["publisher"] = new JsonObject { ["id"] = "bo-noi-vu", ["name"] = "Bộ Nội vụ" },
        ["contactPoint"] = new JsonObject { ["name"] = "Phòng Dữ liệu mở", ["email"] = "dulieumo@example.gov.vn" },
        ["licence"] = new JsonObject { ["id"] = "CC-BY-4.0", ["url"] = "https://creativecommons.org/licenses/by/4.0/" },
        ["accessLevel"] = "open",
        ["keywords"] = new JsonArray("hành chính", "tỉnh"),
    };

    /// <summary>Writes <see cref="Template"/> to <paramref name="file"/>, refusing to overwrite one that exists.</summary>
    public async Task<int> WriteTemplateAsync(FileInfo file, CancellationToken cancellationToken)
    {
        // FileInfo caches what it saw when made; ask the file system again.
        file.Refresh();
        if (file.Exists)
        {
            output.WriteLine($"error: {file.FullName} exists; choose another name, so nothing is overwritten.");
            return 2;
        }

        await File.WriteAllTextAsync(file.FullName, Template().ToJsonString(_indented) + "\n", new UTF8Encoding(false), cancellationToken);
        output.WriteLine($"Wrote an example of the metadata to {file.FullName}. Every field in it is required except keywords;");
        output.WriteLine("edit it, then: dataplatform-publish create --dataset <id> --metadata " + file.Name);
        return 0;
    }

    public async Task<int> RunAsync(string dataset, FileInfo? metadata, IReadOnlyDictionary<string, string> flags, CancellationToken cancellationToken)
    {
        JsonObject body;
        if (metadata is not null)
        {
            if (!metadata.Exists)
            {
                output.WriteLine($"error: {metadata.FullName} does not exist.");
                return 2;
            }

            try
            {
                body = JsonNode.Parse(await File.ReadAllTextAsync(metadata.FullName, cancellationToken)) as JsonObject
                    ?? throw new JsonException("The file holds no JSON object.");
            }
            catch (JsonException e)
            {
                output.WriteLine($"error: {metadata.Name} is not a JSON object of metadata: {e.Message}");
                return 2;
            }
        }
        else
        {
            body = [];
        }

        foreach (var (path, value) in flags)
        {
            Set(body, path, value);
        }

        using var http = Client.Create(gateway, apiKey, handler);
        var id = Uri.EscapeDataString(dataset);
        using (var existing = await http.GetAsync($"api/v1/datasets/{id}", HttpCompletionOption.ResponseHeadersRead, cancellationToken))
        {
            if (existing.IsSuccessStatusCode)
            {
                output.WriteLine($"error: the dataset {dataset} exists already. Change its metadata with: dataplatform-publish publish <file.csv> --dataset {dataset} --metadata <file.json>");
                return 1;
            }
        }

        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var put = await http.PutAsync($"api/v1/datasets/{id}", content, cancellationToken);
        if (!put.IsSuccessStatusCode)
        {
            await ProblemReport.WriteAsync(output, "Creating the dataset failed", put, cancellationToken);
            if (put.StatusCode == HttpStatusCode.BadRequest)
            {
                output.WriteLine("dataplatform-publish create --template metadata.json writes an example with every required field.");
            }

            return 1;
        }

        output.WriteLine($"Created the dataset {dataset}. Publish its data with: dataplatform-publish publish <file.csv> --dataset {dataset}");
        return 0;
    }

    /// <summary>Sets a dotted path (<c>title.vi</c>) in <paramref name="body"/>, making the objects on the way.</summary>
    static void Set(JsonObject body, string path, string value)
    {
        var parts = path.Split('.');
        var node = body;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject child)
            {
                child = [];
                node[part] = child;
            }

            node = child;
        }

        node[parts[^1]] = value;
    }
}

/// <summary>The HTTP client both commands use: the gateway's address, the key, no timeout for large uploads.</summary>
static class Client
{
    public static HttpClient Create(string gateway, string? apiKey, HttpMessageHandler? handler)
    {
        var http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: handler is null)
        {
            BaseAddress = new Uri(gateway.TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return http;
    }
}
