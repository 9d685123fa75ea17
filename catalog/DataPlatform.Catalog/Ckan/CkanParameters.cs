using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Primitives;

namespace DataPlatform.Catalog.Ckan;

/// <summary>
/// The parameters of one CKAN action call, read as CKAN reads them: from the query string of a GET, and from the
/// JSON object or the form of a POST (the query string when a POST has no body). ckanapi's <c>call_action</c>
/// POSTs JSON, where numbers, booleans and lists keep their JSON types; CKAN's validators take either those or
/// their spelling as text, and so do these accessors.
/// </summary>
sealed class CkanParameters
{
    /// <summary>A larger body is refused: no action of this read-only API takes more than a few names.</summary>
    const int MaxBodyBytes = 1024 * 1024;

    static readonly string[] _true = ["true", "1", "yes", "t", "y", "on"];

    readonly Dictionary<string, JsonNode?> _values;

    CkanParameters(Dictionary<string, JsonNode?> values) => _values = values;

    /// <summary>Reads the parameters of <paramref name="request"/>; a body CKAN could not read is its 400 "JSON Error".</summary>
    public static async Task<CkanParameters> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (HttpMethods.IsPost(request.Method))
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(cancellationToken);
                if (form.Count > 0)
                {
                    return FromPairs(form);
                }
            }
            else if (await ReadBodyAsync(request, cancellationToken) is { Length: > 0 } body)
            {
                JsonNode? parsed;
                try
                {
                    parsed = JsonNode.Parse(body);
                }
                catch (JsonException)
                {
                    throw new CkanError(StatusCodes.Status400BadRequest, "Bad Request", "Bad request - JSON Error: Error decoding JSON data.");
                }

                return parsed is JsonObject values
                    ? new CkanParameters(values.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal))
                    : throw new CkanError(StatusCodes.Status400BadRequest, "Bad Request",
                        $"Bad request - JSON Error: Request data JSON decoded to {parsed?.GetValueKind().ToString().ToLowerInvariant() ?? "null"} but it needs to be a dictionary.");
            }
        }

        return FromPairs(request.Query);
    }

    static CkanParameters FromPairs(IEnumerable<KeyValuePair<string, StringValues>> pairs) => new(pairs.ToDictionary(
        p => p.Key,
        p => p.Value.Count == 1 ? JsonValue.Create(p.Value[0]) : (JsonNode)new JsonArray(p.Value.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
        StringComparer.Ordinal));

    static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw new CkanError(StatusCodes.Status400BadRequest, "Bad Request", $"Bad request - the request body is larger than {MaxBodyBytes} bytes.");
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A text parameter, or <c>null</c> when absent or empty. A number is taken as its digits.</summary>
    public string? String(string name)
    {
        if (!_values.TryGetValue(name, out var node) || node is null)
        {
            return null;
        }

        var text = node switch
        {
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.ToJsonString(),
            _ => throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", "Must be a string", name),
        };
        return text.Length == 0 ? null : text;
    }

    /// <summary>A natural number, <paramref name="fallback"/> when absent; CKAN's 409 when it is not one.</summary>
    public int Int(string name, int fallback)
    {
        if (!_values.TryGetValue(name, out var node) || node is null)
        {
            return fallback;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            return value.TryGetValue<int>(out var number) && number >= 0
                ? number
                : throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", "Must be a natural number", name);
        }

        var text = String(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", "Invalid integer", name);
    }

    /// <summary>A flag as CKAN's boolean validator reads it: <c>true</c>, or one of "true", "1", "yes", "t", "y", "on".</summary>
    public bool Bool(string name, bool fallback)
    {
        if (!_values.TryGetValue(name, out var node) || node is null)
        {
            return fallback;
        }

        if (node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetValue<bool>();
        }

        return String(name) is { } text ? _true.Contains(text.Trim(), StringComparer.OrdinalIgnoreCase) : fallback;
    }

    /// <summary>
    /// A list of names: a JSON list, a JSON list written as text (<c>facet.field=["organization"]</c>), a repeated
    /// query parameter, or one name. Empty when absent.
    /// </summary>
    public IReadOnlyList<string> List(string name)
    {
        if (!_values.TryGetValue(name, out var node) || node is null)
        {
            return [];
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>().Trim();
            if (!text.StartsWith('['))
            {
                return text.Length == 0 ? [] : [text];
            }

            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", $"{name} must be a JSON list of names, such as [\"a\", \"b\"]", name);
            }
        }

        return node is JsonArray items && items.All(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            ? items.Select(i => i!.GetValue<string>()).ToList()
            : throw new CkanError(StatusCodes.Status409Conflict, "Validation Error", $"{name} must be a list of names", name);
    }
}

/// <summary>A failed action, answered in CKAN's error envelope with CKAN's status code.</summary>
sealed class CkanError(int status, string type, string message, string? field = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string? Field { get; } = field;

    public static CkanError NotFound(string message = "Not found") => new(StatusCodes.Status404NotFound, "Not Found Error", message);

    public static CkanError Missing(string field) => new(StatusCodes.Status409Conflict, "Validation Error", "Missing value", field);
}
