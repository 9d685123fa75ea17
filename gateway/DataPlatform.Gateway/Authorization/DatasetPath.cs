namespace DataPlatform.Gateway.Authorization;

/// <summary>Finds the dataset a request addresses: <c>/odata/{id}…</c> and <c>/api/v1/datasets/{id}…</c> (downloads too).</summary>
static class DatasetPath
{
    static readonly string[] _prefixes = ["/odata/", "/api/v1/datasets/"];
    const string RestPrefix = "/api/v1/datasets/";

    /// <summary>
    /// True for a change to a dataset through the REST API (PUT or DELETE of its metadata, POST of a version). The
    /// access levels say who may read; who may change a dataset is the catalog's publisher role, which it checks
    /// before it looks the dataset up. Read rules here would stop a publisher from updating a paid dataset its
    /// account does not subscribe to, or from re-creating a deleted one.
    /// </summary>
    public static bool IsChange(HttpRequest request) =>
        !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method)
        && request.Path.Value is { } path && path.StartsWith(RestPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// True for a read of a dataset's catalog entry or versions (<c>GET /api/v1/datasets/{id}</c>, <c>…/versions</c>,
    /// <c>…/versions/{n}</c>), not of its rows. The catalog publishes that metadata to everyone in its search, DCAT and
    /// CKAN answers, so that people can learn what a registered or paid dataset holds and what they need to read it;
    /// the one entry must not be refused where the list shows it. Restricted datasets stay invisible.
    /// </summary>
    public static bool IsMetadataRead(HttpRequest request)
    {
        if ((!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            || request.Path.Value is not { } path || !path.StartsWith(RestPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = path.AsSpan(RestPrefix.Length).TrimEnd('/');
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            return !rest.IsEmpty;
        }

        var tail = rest[(slash + 1)..];
        return tail.Equals("versions", StringComparison.OrdinalIgnoreCase)
            || (tail.StartsWith("versions/", StringComparison.OrdinalIgnoreCase) && tail[9..].IndexOf('/') < 0 && int.TryParse(tail[9..], out _));
    }

    /// <summary>The dataset id in <paramref name="path"/>, or <c>null</c> for a path about no one dataset.</summary>
    public static string? Find(PathString path)
    {
        var value = path.Value;
        if (value is null)
        {
            return null;
        }

        foreach (var prefix in _prefixes)
        {
            if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var rest = value.AsSpan(prefix.Length);
            var end = rest.IndexOfAny('/', '(');
            var id = end < 0 ? rest : rest[..end];
            // "$metadata", "$batch" and similar address the service, not a dataset.
            return id.IsEmpty || id[0] == '$' ? null : id.ToString();
        }

        return null;
    }
}
