namespace DataPlatform.Gateway.Downloads;

/// <summary>Which requests are downloads: <c>GET /api/v1/datasets/{id}/download.{format}</c> and its digest and signature.</summary>
static class DownloadRequests
{
    public static bool IsDownload(HttpRequest request) => request.Path.Value?.Contains("/download.", StringComparison.Ordinal) == true;
}
