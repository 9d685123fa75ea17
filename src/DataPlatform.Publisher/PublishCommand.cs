using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DataPlatform.Publisher;

/// <summary>
/// Sends the metadata (when given; otherwise checks that the dataset exists) and then the file through the gateway, showing upload progress, and
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

        using var http = Client.Create(gateway, apiKey, handler);
        var id = Uri.EscapeDataString(dataset);
        if (metadata is not null)
        {
            using var content = new StringContent(await File.ReadAllTextAsync(metadata.FullName, cancellationToken), Encoding.UTF8, "application/json");
            using var put = await http.PutAsync($"api/v1/datasets/{id}", content, cancellationToken);
            if (!put.IsSuccessStatusCode)
            {
                await ProblemReport.WriteAsync(output, "Updating the metadata failed", put, cancellationToken);
                return 1;
            }

            output.WriteLine($"Metadata of {dataset} saved.");
        }
        else
        {
            // Checked before the upload, so that a mistyped id or a dataset not yet created costs no transfer of the file.
            using var existing = await http.GetAsync($"api/v1/datasets/{id}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (existing.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                output.WriteLine($"error: the dataset {dataset} does not exist, so nothing was uploaded. Create it first:");
                output.WriteLine($"  dataplatform-publish create --template metadata.json     (writes an example to fill in)");
                output.WriteLine($"  dataplatform-publish create --dataset {dataset} --metadata metadata.json");
                output.WriteLine($"or pass --metadata to this command to create it and publish in one go.");
                return 1;
            }

            if (!existing.IsSuccessStatusCode)
            {
                await ProblemReport.WriteAsync(output, "Checking the dataset failed", existing, cancellationToken);
                return 1;
            }
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
                await ProblemReport.WriteAsync(output, "Publishing failed; the previous version is still served", response, cancellationToken);
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
}
