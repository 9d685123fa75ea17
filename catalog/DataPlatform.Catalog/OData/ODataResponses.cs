using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DataPlatform.Catalog.OData;

/// <summary>
/// Writes OData JSON: the OData error format, and entity collections in minimal (or no) metadata. Written by hand
/// with <see cref="Utf8JsonWriter"/> rather than through Microsoft.AspNetCore.OData's serializer, because the rows
/// are plain value arrays from the query core: building EdmEntityObjects first would double the allocations on
/// every row for the same bytes.
/// </summary>
static class ODataResponses
{
    /// <summary>Vietnamese stays readable in responses: only what JSON requires is escaped.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An error in the OData JSON error format, with the part of the request at fault as its target.</summary>
    public static IResult Error(int status, string code, string message, string? target = null) => new JsonWriterResult(status, null, writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("code", code);
        writer.WriteString("message", message);
        if (target is not null)
        {
            writer.WriteString("target", target);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    const string DateFormat = "yyyy-MM-dd";
    const string DateTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    /// <summary>Writes one value in its OData JSON form.</summary>
    public static void WriteValue(Utf8JsonWriter writer, object? value, bool ieee754Compatible)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case long l when ieee754Compatible:
                writer.WriteStringValue(l.ToString(CultureInfo.InvariantCulture));
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case decimal m when ieee754Compatible:
                writer.WriteStringValue(m.ToString(CultureInfo.InvariantCulture));
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case DateOnly d:
                writer.WriteStringValue(d.ToString(DateFormat, CultureInfo.InvariantCulture));
                break;
            case DateTime t:
                writer.WriteStringValue(t.ToString(DateTimeFormat, CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}

/// <summary>A response written with a <see cref="Utf8JsonWriter"/> straight into the body.</summary>
sealed class JsonWriterResult(int status, string? contentType, Action<Utf8JsonWriter> write, IReadOnlyDictionary<string, string>? headers = null) : IResult
{
    public const string JsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = contentType ?? "application/json;charset=utf-8";
        response.Headers["OData-Version"] = ODataVersion(httpContext.Request);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            response.Headers[name] = value;
        }

        await using var writer = new Utf8JsonWriter(response.BodyWriter, ODataResponses.WriterOptions);
        write(writer);
        await writer.FlushAsync(httpContext.RequestAborted);
    }

    /// <summary>4.0 for clients that cap their version there (Power Query sends OData-MaxVersion: 4.0), else 4.01.</summary>
    public static string ODataVersion(HttpRequest request) =>
        request.Headers["OData-MaxVersion"].ToString().Trim() == "4.0" ? "4.0" : "4.01";
}
