using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.WebUtilities;

namespace DataPlatform.Portal.Api;

/// <summary>
/// The portal's only way to data: the gateway's public HTTP API, called the way any outside client calls it. A
/// signed-in visitor's calls carry their session key; every call carries the visitor's address, signed with the
/// portal-proxy secret, so that the gateway limits, meters and audits each call as the visitor's own.
/// </summary>
internal sealed partial class GatewayClient(
    HttpClient http,
    GatewayAddress address,
    PortalProxySecret proxySecret,
    SessionCookie sessions,
    IHttpContextAccessor accessor,
    TimeProvider time,
    ILogger<GatewayClient> logger)
{
    static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);

    public Task<SearchView> SearchAsync(string? q, IReadOnlyDictionary<string, string?> filters, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = new Dictionary<string, string?>(filters) { ["q"] = q, ["offset"] = offset.ToString(CultureInfo.InvariantCulture), ["limit"] = limit.ToString(CultureInfo.InvariantCulture) };
        var path = QueryHelpers.AddQueryString("api/v1/datasets", query.Where(pair => !string.IsNullOrEmpty(pair.Value)));
        return GetJsonAsync<SearchView>(path, cancellationToken)!;
    }

    /// <summary>The dataset, or <c>null</c> when it does not exist for this visitor.</summary>
    public async Task<DatasetView?> FindDatasetAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await GetJsonAsync<DatasetView>("api/v1/datasets/" + Uri.EscapeDataString(id), cancellationToken);
        }
        catch (GatewayException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<DataProductView>> ListProductsAsync(CancellationToken cancellationToken) =>
        await GetJsonAsync<List<DataProductView>>("api/v1/account/products", cancellationToken) ?? [];

    /// <summary>A page of rows through OData: <paramref name="options"/> are OData query options, already encoded.</summary>
    public async Task<RecordsPage> QueryRecordsAsync(string id, string options, int pageSize, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, ODataPath(id, options));
        request.Headers.TryAddWithoutValidation("Prefer", "odata.maxpagesize=" + pageSize.ToString(CultureInfo.InvariantCulture));
        using var document = await SendForJsonAsync(request, cancellationToken);
        var rows = document.RootElement.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Select(row => row.Clone()).ToList()
            : [];
        string? next = null;
        if (document.RootElement.TryGetProperty("@odata.nextLink", out var link) && link.GetString() is { } nextLink
            && Uri.TryCreate(nextLink, UriKind.Absolute, out var nextUri))
        {
            var parsed = QueryHelpers.ParseQuery(nextUri.Query);
            next = parsed.TryGetValue("$skiptoken", out var token) ? token.ToString() : null;
        }

        return new RecordsPage(rows, next);
    }

    /// <summary>The groups of an OData <c>$apply</c> as label and number.</summary>
    public async Task<IReadOnlyList<ChartPoint>> AggregateAsync(string id, string options, string labelColumn, string valueAlias, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, ODataPath(id, options));
        using var document = await SendForJsonAsync(request, cancellationToken);
        var points = new List<ChartPoint>();
        if (document.RootElement.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
        {
            foreach (var row in value.EnumerateArray())
            {
                var label = row.TryGetProperty(labelColumn, out var l) ? CellText(l) : "";
                if (row.TryGetProperty(valueAlias, out var v) && TryNumber(v, out var number))
                {
                    points.Add(new ChartPoint(label, number));
                }
            }
        }

        return points;
    }

    /// <summary>Each whole file's size (from a HEAD) and published SHA-256.</summary>
    public async Task<DownloadFile> DescribeDownloadAsync(string id, string format, CancellationToken cancellationToken)
    {
        var path = "api/v1/datasets/" + Uri.EscapeDataString(id) + "/download." + format;
        long? bytes = null;
        string? sha = null;
        using (var head = Request(HttpMethod.Head, path))
        using (var response = await http.SendAsync(head, HttpCompletionOption.ResponseHeadersRead, cancellationToken))
        {
            await ThrowIfFailedAsync(response, cancellationToken);
            bytes = response.Content.Headers.ContentLength;
        }

        using (var digest = Request(HttpMethod.Get, path + ".sha256"))
        using (var response = await http.SendAsync(digest, cancellationToken))
        {
            await ThrowIfFailedAsync(response, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var first = text.Split([' ', '\t', '\n'], 2, StringSplitOptions.RemoveEmptyEntries);
            sha = first.Length > 0 && first[0].Length == 64 ? first[0].ToLowerInvariant() : null;
        }

        return new DownloadFile(format, bytes, sha);
    }

    public static string CellText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    public static bool TryNumber(JsonElement value, out double number)
    {
        number = 0;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDouble(out number),
            JsonValueKind.String => double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number),
            _ => false,
        };
    }

    static string ODataPath(string id, string options) =>
        "odata/" + Uri.EscapeDataString(id) + "/Records" + (options.Length > 0 ? "?" + options : "");

    async Task<T?> GetJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, path);
        using var response = await http.SendAsync(request, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(_json, cancellationToken);
    }

    async Task<JsonDocument> SendForJsonAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(request, cancellationToken);
        await ThrowIfFailedAsync(response, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
    }

    HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(address.Url, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var context = accessor.HttpContext;
        if (context is null)
        {
            return request;
        }

        if (sessions.Read(context) is { } session)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", session.Key);
        }

        // Keyed or not, the gateway learns the visitor's address: it limits anonymous calls by it, and billing
        // counts failed sign-ins by it.
        if (context.Connection.RemoteIpAddress is { } visitor)
        {
            request.Headers.TryAddWithoutValidation(PortalVisitorHeader.Name, PortalVisitorHeader.Sign(visitor, time.GetUtcNow(), proxySecret.Key));
        }

        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue(CultureInfo.CurrentUICulture.Name));
        return request;
    }

    async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => (TimeSpan?)null,
        };
        string? detail = null;
        if (response.RequestMessage?.Method != HttpMethod.Head)
        {
            detail = await ReadDetailAsync(response, cancellationToken);
        }

        if (status >= 500)
        {
            LogUpstreamFailure(logger, status, response.RequestMessage?.RequestUri?.AbsolutePath);
        }

        throw new GatewayException(status, detail, retryAfter);
    }

    /// <summary>The human sentence of a problem (<c>detail</c>, else <c>title</c>) or of an OData error (<c>error.message</c>).</summary>
    static async Task<string?> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (text.Length == 0 || text[0] != '{')
            {
                return null;
            }

            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message))
            {
                return message.GetString();
            }

            return root.TryGetProperty("detail", out var detail) ? detail.GetString()
                : root.TryGetProperty("title", out var title) ? title.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The public API answered {Status} to {Path}")]
    static partial void LogUpstreamFailure(ILogger logger, int status, string? path);
}
