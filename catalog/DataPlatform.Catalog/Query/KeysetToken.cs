using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;

namespace DataPlatform.Catalog.Query;

/// <summary>
/// The opaque form of a <see cref="KeysetPosition"/> that travels in <c>$skiptoken</c> and GraphQL cursors:
/// base64url of a small JSON array of the sort-key values and the row id. It carries no secret, so it needs no
/// signature; but its content is checked as strictly as its form: the right number of values, each of its sort
/// key's JSON kind and type, and a row id this service could have issued (row ids start at 1). Anything else is a 400.
/// </summary>
static class KeysetToken
{
    public static string Encode(KeysetPosition position)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(position.RowId);
            foreach (var value in position.Values)
            {
                switch (value)
                {
                    case null: writer.WriteNullValue(); break;
                    case long l: writer.WriteNumberValue(l); break;
                    case decimal m: writer.WriteNumberValue(m); break;
                    case bool b: writer.WriteBooleanValue(b); break;
                    case DateOnly d: writer.WriteStringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
                    case DateTime dt: writer.WriteStringValue(dt.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)); break;
                    default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                }
            }

            writer.WriteEndArray();
        }

        return Base64Url.EncodeToString(buffer.ToArray());
    }

    /// <summary>
    /// The longest token accepted. A token holds the last row's sort keys, so a text key makes it as long as that
    /// value; 16 KB leaves room for long text while bounding what a forged token can make the service decode.
    /// </summary>
    const int MaxTokenLength = 16 * 1024;

    /// <summary>Reads a token for a query sorted by keys of <paramref name="types"/>.</summary>
    public static KeysetPosition Decode(string token, IReadOnlyList<ColumnType> types, string target)
    {
        try
        {
            if (token.Length > MaxTokenLength)
            {
                throw new FormatException("The token is too long.");
            }

            using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(token));
            var items = document.RootElement.EnumerateArray().ToList();
            if (items.Count != types.Count + 1)
            {
                throw new FormatException("The token does not match the query's sort order.");
            }

            var values = new object?[types.Count];
            for (var i = 0; i < types.Count; i++)
            {
                var item = items[i + 1];
                values[i] = item.ValueKind == JsonValueKind.Null ? null : types[i] switch
                {
                    ColumnType.Integer => Expect(item, JsonValueKind.Number).GetInt64(),
                    ColumnType.Decimal => Expect(item, JsonValueKind.Number).GetDecimal(),
                    ColumnType.Boolean => item.GetBoolean(),
                    ColumnType.Date => DateOnly.ParseExact(Expect(item, JsonValueKind.String).GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ColumnType.DateTime => DateTime.ParseExact(Expect(item, JsonValueKind.String).GetString()!, "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
                    _ => Expect(item, JsonValueKind.String).GetString(),
                };
            }

            var rowId = Expect(items[0], JsonValueKind.Number).GetInt64();
            if (rowId < 1)
            {
                throw new FormatException("Row ids start at 1.");
            }

            return new KeysetPosition(values, rowId);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or ArgumentException)
        {
            throw new QueryException(target, $"The {target} is not one this service issued for this query.", e);
        }
    }

    static JsonElement Expect(JsonElement item, JsonValueKind kind) =>
        item.ValueKind == kind ? item : throw new FormatException($"Expected a {kind}, not a {item.ValueKind}.");
}
