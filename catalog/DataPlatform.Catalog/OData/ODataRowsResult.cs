using System.Text.Json;
using DataPlatform.Catalog.Query;

namespace DataPlatform.Catalog.OData;

/// <summary>
/// A page of rows written as OData JSON while it is read from the database: each value goes from the
/// <see cref="System.Data.Common.DbDataReader"/> to the <see cref="Utf8JsonWriter"/> on the response, with no row
/// arrays, lists or dictionaries in between. The first row was read before this result was returned,
/// so an error up to there (a timeout, a value the data cannot take) still gets its OData error. A failure after
/// the status line has gone aborts the connection, so that a cut-off page never passes for a complete one.
/// </summary>
sealed partial class ODataRowsResult(
    QueryRowStream rows, bool hasFirst, string contentType, string? context, long? count, bool fullMetadata, bool ieee754,
    Func<int, KeysetPosition, string?> nextLink, IReadOnlyDictionary<string, string>? headers) : IResult
{
    // Large enough that most pages leave in one write (each flush is a send and a wake-up of the client), small
    // enough to bound the memory of a maximum page.
    const int FlushThreshold = 256 * 1024;
    static readonly JsonEncodedText _type = JsonEncodedText.Encode("@odata.type");
    static readonly JsonEncodedText _record = JsonEncodedText.Encode($"#{ODataModel.Namespace}.Record");

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        await using var _ = rows;
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.Headers["OData-Version"] = JsonWriterResult.ODataVersion(httpContext.Request);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            response.Headers[name] = value;
        }

        var columns = rows.Columns;
        var names = columns.Select(c => JsonEncodedText.Encode(c.Name, ODataResponses.WriterOptions.Encoder)).ToArray();
        var types = columns.Select(c => c.Type).ToArray();
        var reader = rows.Reader;
        var dialect = rows.Dialect;
        var reads = columns.Select((c, i) => dialect.ReadFor(reader, i, c.Type)).ToArray();
        var body = response.BodyWriter;
        await using var writer = new Utf8JsonWriter(body, ODataResponses.WriterOptions);
        writer.WriteStartObject();
        if (context is not null)
        {
            writer.WriteString("@odata.context", context);
        }

        if (count is not null)
        {
            writer.WritePropertyName("@odata.count");
            ODataResponses.WriteValue(writer, count.Value, ieee754);
        }

        writer.WriteStartArray("value");
        try
        {
            for (var more = hasFirst; more; more = await rows.ReadAsync())
            {
                writer.WriteStartObject();
                if (fullMetadata)
                {
                    writer.WriteString(_type, _record);
                }

                for (var i = 0; i < names.Length; i++)
                {
                    writer.WritePropertyName(names[i]);
                    ODataResponses.WriteColumn(writer, reader, i, reads[i], types[i], dialect, ieee754);
                }

                writer.WriteEndObject();
                if (writer.BytesPending > FlushThreshold)
                {
                    writer.Flush();
                    await body.FlushAsync(httpContext.RequestAborted);
                }
            }
        }
        catch (Exception e) when (e is QueryException or QueryLimitException)
        {
            LogAbandoned(httpContext.RequestServices.GetRequiredService<ILogger<ODataRowsResult>>(), e.Message);
            httpContext.Abort();
            return;
        }

        // The connection goes back to the pool before the last bytes leave, rather than after the client has them.
        var (returned, next) = (rows.Count, rows.Next);
        await rows.DisposeAsync();
        writer.WriteEndArray();
        if (next is not null && nextLink(returned, next) is { } link)
        {
            writer.WriteString("@odata.nextLink", link);
        }

        writer.WriteEndObject();
        writer.Flush();
        await body.FlushAsync(httpContext.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An OData page failed after its first rows were sent, and the response was cut off: {Reason}")]
    static partial void LogAbandoned(ILogger logger, string reason);
}
