namespace DataPlatform.Portal.Datasets;

/// <summary>
/// The README's "Verify a download" commands (between its <c>verify:start</c> and <c>verify:end</c> markers), which a
/// test runs against a real download; the dataset page shows them with the dataset and address filled in.
/// </summary>
internal static class VerifyCommands
{
    static readonly Lazy<string> _script = new(Load);

    public static string For(string gatewayUrl, string datasetId) => _script.Value
        .Replace("${G:-http://127.0.0.1:8080}", gatewayUrl, StringComparison.Ordinal)
        .Replace("${D:-don-vi-hanh-chinh-cap-tinh-2025}", datasetId, StringComparison.Ordinal);

    static string Load()
    {
        using var stream = typeof(VerifyCommands).Assembly.GetManifestResourceStream("DataPlatform.Portal.README.md");
        if (stream is null)
        {
            return "";
        }

        var text = new StreamReader(stream).ReadToEnd();
        var start = text.IndexOf("<!-- verify:start -->", StringComparison.Ordinal);
        var end = text.IndexOf("<!-- verify:end -->", StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            return "";
        }

        var block = text[start..end];
        var open = block.IndexOf("```sh\n", StringComparison.Ordinal);
        var close = block.LastIndexOf("```", StringComparison.Ordinal);
        return open < 0 || close <= open ? "" : block[(open + 6)..close].TrimEnd();
    }
}
