using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DataPlatform.Publisher;

/// <summary>
/// Sends the metadata (when given) and then the file through the gateway, showing upload progress, and
/// prints either a summary of the new version or the server's problem report with its row errors.
/// </summary>
sealed class PublishCommand(string gateway, string? apiKey, TextWriter output, HttpMessageHandler? handler = null)
{
    public async Task<int> RunAsync(FileInfo file, string dataset, FileInfo? metadata, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            output.WriteLine($"error: {file.FullName} does not exist.");
            return 2;
        }

        using var http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: handler is null)
        {
            BaseAddress = new Uri(gateway.TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        var id = Uri.EscapeDataString(dataset);
        if (metadata is not null)
        {
            using var content = new StringContent(await File.ReadAllTextAsync(metadata.FullName, cancellationToken), Encoding.UTF8, "application/json");
            using var put = await http.PutAsync($"api/v1/datasets/{id}", content, cancellationToken);
            if (!put.IsSuccessStatusCode)
            {
                await ReportProblemAsync("Updating the metadata failed", put, cancellationToken);
                return 1;
            }

            output.WriteLine($"Metadata of {dataset} saved.");
        }

        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        await using (var stream = new ProgressStream(File.OpenRead(file.FullName)))
        using (var progress = new ProgressBar(output, stream, file.Length))
        {
            using var body = new StreamContent(stream, 1 << 16);
            body.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
            body.Headers.ContentLength = file.Length;
            response = await http.PostAsync($"api/v1/datasets/{id}/versions", body, cancellationToken);
        }

        using (response)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (!response.IsSuccessStatusCode)
            {
                await ReportProblemAsync("Publishing failed; the previous version is still served", response, cancellationToken);
                return 1;
            }

            var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement;
            var rows = result.GetProperty("rowCount").GetInt64();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Published version {result.GetProperty("version").GetInt32()} of {dataset}: {rows:N0} rows, {file.Length / 1048576.0:N1} MB in {elapsed.TotalSeconds:N1} s ({rows / Math.Max(elapsed.TotalSeconds, 0.001):N0} rows/s)."));
            foreach (var column in result.GetProperty("columns").EnumerateArray())
            {
                output.WriteLine($"  {column.GetProperty("name").GetString(),-30} {column.GetProperty("type").GetString()}");
            }

            return 0;
        }
    }

    async Task ReportProblemAsync(string what, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        output.WriteLine($"{what}: {(int)response.StatusCode} {response.ReasonPhrase}");
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            if (problem.TryGetProperty("title", out var title))
            {
                output.WriteLine($"  {title.GetString()}");
            }

            if (problem.TryGetProperty("detail", out var detail))
            {
                output.WriteLine($"  {detail.GetString()}");
            }

            if (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                output.WriteLine($"  {"row",8} {"line",8}  {"column",-20} {"value",-24} reason");
                foreach (var error in errors.EnumerateArray())
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {Field(error, "row"),8} {Field(error, "line"),8}  {Field(error, "column"),-20} {Field(error, "value"),-24} {Field(error, "reason")}"));
                }
            }
            else if (problem.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in fields.EnumerateObject())
                {
                    output.WriteLine($"  {field.Name}: {string.Join(" ", field.Value.EnumerateArray().Select(m => m.GetString()))}");
                }
            }
        }
        catch (JsonException)
        {
            output.WriteLine(text.Length > 500 ? text[..500] : text);
        }
    }

    static string Field(JsonElement error, string name) =>
        error.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : "";
}
