namespace DataPlatform.Gateway.Authorization;

/// <summary>Finds the dataset a request addresses: <c>/odata/{id}…</c> and <c>/api/v1/datasets/{id}…</c> (downloads too).</summary>
static class DatasetPath
{
    static readonly string[] _prefixes = ["/odata/", "/api/v1/datasets/"];

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
