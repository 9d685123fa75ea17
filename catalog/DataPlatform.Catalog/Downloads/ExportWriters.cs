using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DataPlatform.Catalog.Downloads;

/// <summary>How one export is written.</summary>
/// <param name="Bom">For CSV: start with the UTF-8 byte order mark, which Excel needs to read the file as UTF-8.</param>
/// <param name="EscapeFormulas">For CSV: neutralise text cells that a spreadsheet would run as formulas (<see cref="CsvFormulas"/>).</param>
/// <param name="XlsxRowsPerSheet">Data rows per XLSX worksheet.</param>
/// <param name="ParquetRowGroupSize">Rows per Parquet row group.</param>
sealed record ExportSettings(bool Bom, bool EscapeFormulas, int XlsxRowsPerSheet, int ParquetRowGroupSize);

/// <summary>Writes an export in one of the formats to a stream, asynchronously and row by row.</summary>
static class ExportWriters
{
    /// <summary>Writes to flush to the stream once this much is pending; keeps memory flat whatever the row count.</summary>
    const int FlushThreshold = 64 * 1024;

    public static Task WriteAsync(DownloadFormat format, ExportRows rows, Stream output, ExportSettings settings, CancellationToken cancellationToken) => format switch
    {
        DownloadFormat.Csv => WriteCsvAsync(rows, output, settings.Bom, settings.EscapeFormulas, cancellationToken),
        DownloadFormat.Ndjson => WriteJsonAsync(rows, output, lines: true, cancellationToken),
        DownloadFormat.Json => WriteJsonAsync(rows, output, lines: false, cancellationToken),
        DownloadFormat.Parquet => ParquetExport.WriteAsync(rows, output, settings.ParquetRowGroupSize, cancellationToken),
        _ => XlsxExport.WriteAsync(rows, output, settings.XlsxRowsPerSheet, cancellationToken),
    };

    /// <summary>
    /// RFC 4180: CRLF line ends, a header line, fields quoted when they hold a comma, a quote or a line break, and
    /// quotes doubled. Written by hand over a pipe rather than with Sep's writer because Sep writes synchronously to a
    /// TextWriter, and a response body must be written asynchronously.
    /// </summary>
    static async Task WriteCsvAsync(ExportRows rows, Stream output, bool bom, bool escapeFormulas, CancellationToken cancellationToken)
    {
        var pipe = PipeWriter.Create(output, new StreamPipeWriterOptions(minimumBufferSize: FlushThreshold, leaveOpen: true));
        long pending = 0;
        if (bom)
        {
            pending += WriteBytes(pipe, Encoding.UTF8.Preamble);
        }

        for (var i = 0; i < rows.Columns.Count; i++)
        {
            var name = rows.Columns[i].Name;
            pending += WriteCsvField(pipe, i == 0 ? null : ",", escapeFormulas ? CsvFormulas.Neutralise(name) : name);
        }

        pending += WriteBytes(pipe, "\r\n"u8);
        await foreach (var row in rows.Rows.WithCancellation(cancellationToken))
        {
            for (var i = 0; i < row.Length; i++)
            {
                // Only text is neutralised: a number, date or boolean is written by the platform, never by a publisher's
                // string, and a negative number must stay a number.
                var text = row[i] is string s && escapeFormulas ? CsvFormulas.Neutralise(s) : ExportValues.Text(row[i]);
                pending += WriteCsvField(pipe, i == 0 ? null : ",", text);
            }

            pending += WriteBytes(pipe, "\r\n"u8);
            if (pending >= FlushThreshold)
            {
                pending = 0;
                var flushed = await pipe.FlushAsync(cancellationToken);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }

        await pipe.CompleteAsync();
    }

    static int WriteCsvField(PipeWriter pipe, string? separator, string? value)
    {
        var written = 0;
        if (separator is not null)
        {
            written += WriteBytes(pipe, ","u8);
        }

        if (string.IsNullOrEmpty(value))
        {
            return written;
        }

        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            return written + WriteText(pipe, value);
        }

        written += WriteBytes(pipe, "\""u8);
        written += WriteText(pipe, value.Replace("\"", "\"\"", StringComparison.Ordinal));
        return written + WriteBytes(pipe, "\""u8);
    }

    static int WriteText(PipeWriter pipe, string text)
    {
        var span = pipe.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var count = Encoding.UTF8.GetBytes(text, span);
        pipe.Advance(count);
        return count;
    }

    static int WriteBytes(PipeWriter pipe, ReadOnlySpan<byte> bytes)
    {
        pipe.Write(bytes);
        return bytes.Length;
    }

    static readonly JsonWriterOptions _jsonOptions = new()
    {
        // Vietnamese stays readable rather than \u-escaped; the output is UTF-8 either way.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>NDJSON (one object per line) or one JSON array of objects; values keep their JSON types.</summary>
    static async Task WriteJsonAsync(ExportRows rows, Stream output, bool lines, CancellationToken cancellationToken)
    {
        var pipe = PipeWriter.Create(output, new StreamPipeWriterOptions(minimumBufferSize: FlushThreshold, leaveOpen: true));
        await using var writer = new Utf8JsonWriter((IBufferWriter<byte>)pipe, _jsonOptions);
        var names = rows.Columns.Select(c => JsonEncodedText.Encode(c.Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)).ToArray();
        var first = true;
        if (!lines)
        {
            pipe.Write("["u8);
        }

        await foreach (var row in rows.Rows.WithCancellation(cancellationToken))
        {
            if (!lines && !first)
            {
                pipe.Write(",\n"u8);
            }

            first = false;
            writer.WriteStartObject();
            for (var i = 0; i < row.Length; i++)
            {
                writer.WritePropertyName(names[i]);
                ExportValues.WriteJson(writer, row[i]);
            }

            writer.WriteEndObject();
            writer.Flush();
            writer.Reset();
            if (lines)
            {
                pipe.Write("\n"u8);
            }

            if (pipe.UnflushedBytes >= FlushThreshold)
            {
                var flushed = await pipe.FlushAsync(cancellationToken);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }

        if (!lines)
        {
            pipe.Write("]\n"u8);
        }

        await pipe.CompleteAsync();
    }
}

/// <summary>
/// Defence against CSV (formula) injection, as OWASP advises: a spreadsheet that opens a CSV runs a cell beginning
/// with <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c> as a formula (so <c>=HYPERLINK(…)</c> in a published text column would
/// become a live link or worse), and a leading tab or carriage return can hide such a cell. A text cell that begins
/// with one of those characters gets a leading apostrophe, which spreadsheets read as "this is text". A text cell
/// that is entirely a plain number (<c>-12.5</c>, <c>+84912345678</c>) is left alone: it cannot call anything, and
/// changing it would only damage the data.
/// </summary>
static class CsvFormulas
{
    static readonly SearchValues<char> _triggers = SearchValues.Create("=+-@\t\r");

    public static string Neutralise(string value) =>
        value.Length > 0 && _triggers.Contains(value[0]) && !IsPlainNumber(value) ? "'" + value : value;

    /// <summary>An optional sign, digits, and optionally a point and more digits; nothing else, no exponent.</summary>
    static bool IsPlainNumber(ReadOnlySpan<char> value)
    {
        if (value.Length > 0 && value[0] is '+' or '-')
        {
            value = value[1..];
        }

        var point = value.IndexOf('.');
        var whole = point < 0 ? value : value[..point];
        var fraction = point < 0 ? "" : value[(point + 1)..];
        return whole.Length > 0 && !whole.ContainsAnyExceptInRange('0', '9')
            && (point < 0 || (fraction.Length > 0 && !fraction.ContainsAnyExceptInRange('0', '9')));
    }
}

/// <summary>How the plan's values appear in text and JSON exports.</summary>
static class ExportValues
{
    /// <summary>
    /// The text of a value: invariant culture, ISO 8601 dates, datetimes in UTC with a Z, <c>true</c>/<c>false</c>;
    /// null is an empty field.
    /// </summary>
    public static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime dt => dt.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    public static void WriteJson(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case long l: writer.WriteNumberValue(l); break;
            case decimal d: writer.WriteNumberValue(d); break;
            case bool b: writer.WriteBooleanValue(b); break;
            default: writer.WriteStringValue(Text(value)); break;
        }
    }
}
