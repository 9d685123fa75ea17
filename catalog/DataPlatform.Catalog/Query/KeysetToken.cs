using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;

namespace DataPlatform.Catalog.Query;

/// <summary>
/// The opaque form of a <see cref="KeysetPosition"/> that travels in <c>$skiptoken</c> and GraphQL cursors:
/// base64url of a small JSON array of the sort-key values and the row id. It carries no secret, so it needs no
/// signature; a tampered token can only move the page, and a malformed one is a 400.
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

    /// <summary>Reads a token for a query sorted by keys of <paramref name="types"/>.</summary>
    public static KeysetPosition Decode(string token, IReadOnlyList<ColumnType> types, string target)
    {
        try
        {
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
                    ColumnType.Integer => item.GetInt64(),
                    ColumnType.Decimal => item.GetDecimal(),
                    ColumnType.Boolean => item.GetBoolean(),
                    ColumnType.Date => DateOnly.ParseExact(item.GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ColumnType.DateTime => DateTime.Parse(item.GetString()!, CultureInfo.InvariantCulture),
                    _ => item.GetString(),
                };
            }

            return new KeysetPosition(values, items[0].GetInt64());
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or ArgumentException)
        {
            throw new QueryException(target, $"The {target} is not one this service issued for this query.", e);
        }
    }
}
