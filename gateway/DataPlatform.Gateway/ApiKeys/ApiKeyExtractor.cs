using DataPlatform.Contracts.Access;
using Microsoft.Net.Http.Headers;

namespace DataPlatform.Gateway.ApiKeys;

/// <summary>
/// Finds the API key of a request and removes it, so that no upstream, log or trace ever sees it. A key may
/// arrive as <c>Authorization: ApiKey &lt;key&gt;</c>, as <c>X-Api-Key</c>, or as the <c>api_key</c> query
/// parameter, which is how Power Query's "Web API" key option (Excel, Power BI) sends it. CKAN's clients
/// (ckanapi, the harvesters) send the key bare, as <c>Authorization: &lt;key&gt;</c> and <c>X-CKAN-API-Key</c>;
/// a bare Authorization value is taken when it has the platform's key prefix.
/// </summary>
static class ApiKeyExtractor
{
    public const string HeaderName = "X-Api-Key";
    public const string CkanHeaderName = "X-CKAN-API-Key";
    public const string QueryName = "api_key";
    const string Scheme = "ApiKey ";

    /// <summary>The key the request carries, or <c>null</c>; every place a key may be is emptied.</summary>
    public static string? TakeKey(HttpRequest request)
    {
        string? key = null;
        var headers = request.Headers;

        var authorization = headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } value)
        {
            if (value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            {
                key = value[Scheme.Length..].Trim();
                headers.Remove(HeaderNames.Authorization);
            }
            else if (value.TrimStart().StartsWith(ApiKeyFormat.Prefix, StringComparison.Ordinal))
            {
                key = value.Trim();
                headers.Remove(HeaderNames.Authorization);
            }
        }

        foreach (var name in (ReadOnlySpan<string>)[HeaderName, CkanHeaderName])
        {
            if (headers.TryGetValue(name, out var header))
            {
                key ??= header.ToString().Trim();
                headers.Remove(name);
            }
        }

        var query = request.QueryString;
        if (query.HasValue && query.Value!.Contains(QueryName, StringComparison.OrdinalIgnoreCase))
        {
            // Removed even when a header already brought a key: the parameter must not reach the upstream either.
            var fromQuery = RemoveFromQuery(request);
            key ??= fromQuery;
        }

        return string.IsNullOrEmpty(key) ? null : key;
    }

    /// <summary>
    /// Drops every <c>api_key</c> pair from the raw query string and keeps the other pairs byte for byte, so an
    /// OData <c>$filter</c> reaches the upstream exactly as the client encoded it.
    /// </summary>
    static string? RemoveFromQuery(HttpRequest request)
    {
        string? key = null;
        var raw = request.QueryString.Value.AsSpan(1);
        var kept = new System.Text.StringBuilder(raw.Length);
        foreach (var range in raw.Split('&'))
        {
            var pair = raw[range];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            if (name.Equals(QueryName, StringComparison.OrdinalIgnoreCase))
            {
                key ??= equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].ToString().Replace('+', ' '));
                continue;
            }

            if (pair.IsEmpty)
            {
                continue;
            }

            kept.Append(kept.Length == 0 ? '?' : '&').Append(pair);
        }

        if (key is null)
        {
            return null;
        }

        request.QueryString = new QueryString(kept.Length == 0 ? null : kept.ToString());
        return key;
    }
}
