using System.Globalization;
using System.Text.Json;

namespace DataPlatform.Publisher;

/// <summary>Prints a server's problem report (RFC 9457) for a person: title, detail, and the row or field errors.</summary>
static class ProblemReport
{
    public static async Task WriteAsync(TextWriter output, string what, HttpResponseMessage response, CancellationToken cancellationToken)
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
