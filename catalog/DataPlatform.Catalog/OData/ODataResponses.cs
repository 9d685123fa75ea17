using System.Data.Common;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using DataPlatform.Catalog.Query;

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
            case long l:
                WriteInteger(writer, l, ieee754Compatible);
                break;
            case decimal m:
                WriteDecimal(writer, m, ieee754Compatible);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case DateOnly d:
                WriteDate(writer, d);
                break;
            case DateTime t:
                WriteDateTime(writer, t);
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>
    /// Writes column <paramref name="ordinal"/> of the reader's current row, read as <paramref name="read"/> (decided
    /// once per statement by <see cref="SqlDialect.ReadFor"/>): the typed reads skip boxing every value, which is
    /// most of the per-row cost of a large page besides the database itself.
    /// </summary>
    public static void WriteColumn(
        Utf8JsonWriter writer, DbDataReader reader, int ordinal, ColumnRead read, ColumnType type, SqlDialect dialect, bool ieee754Compatible)
    {
        if (read == ColumnRead.Boxed)
        {
            WriteValue(writer, dialect.Read(reader, ordinal, type), ieee754Compatible);
            return;
        }

        if (reader.IsDBNull(ordinal))
        {
            writer.WriteNullValue();
            return;
        }

        switch (read)
        {
            case ColumnRead.String:
                writer.WriteStringValue(reader.GetString(ordinal));
                break;
            case ColumnRead.Int64:
                WriteInteger(writer, reader.GetInt64(ordinal), ieee754Compatible);
                break;
            case ColumnRead.Decimal:
                WriteDecimal(writer, reader.GetDecimal(ordinal), ieee754Compatible);
                break;
            case ColumnRead.Boolean:
                writer.WriteBooleanValue(reader.GetBoolean(ordinal));
                break;
            case ColumnRead.Date:
                WriteDate(writer, reader.GetFieldValue<DateOnly>(ordinal));
                break;
            default:
                WriteDateTime(writer, reader.GetDateTime(ordinal));
                break;
        }
    }

    static void WriteInteger(Utf8JsonWriter writer, long value, bool ieee754Compatible)
    {
        if (ieee754Compatible)
        {
            WriteFormatted(writer, value, default);
        }
        else
        {
            writer.WriteNumberValue(value);
        }
    }

    static void WriteDecimal(Utf8JsonWriter writer, decimal value, bool ieee754Compatible)
    {
        if (ieee754Compatible)
        {
            WriteFormatted(writer, value, default);
        }
        else
        {
            writer.WriteNumberValue(value);
        }
    }

    // "O" is yyyy-MM-dd for a DateOnly, and the formatter's fast path.
    static void WriteDate(Utf8JsonWriter writer, DateOnly value) => WriteFormatted(writer, value, "O");

    static void WriteDateTime(Utf8JsonWriter writer, DateTime value) => WriteFormatted(writer, value, DateTimeFormat);

    /// <summary>Writes a value as a JSON string formatted straight into UTF-8 on the stack: no string per value.</summary>
    static void WriteFormatted<T>(Utf8JsonWriter writer, T value, ReadOnlySpan<char> format) where T : IUtf8SpanFormattable
    {
        Span<byte> buffer = stackalloc byte[64];
        value.TryFormat(buffer, out var written, format, CultureInfo.InvariantCulture);
        writer.WriteStringValue(buffer[..written]);
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
