using DataPlatform.Contracts.Downloads;
using DataPlatform.Contracts.Problems;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataPlatform.Gateway.Downloads;

/// <summary>
/// The gateway's half of the download handoff (<see cref="FileHandoff"/>), after nginx's X-Accel-Redirect. On a
/// download request to the catalog it offers to send the file itself; when the catalog answers with a file's path
/// instead of its bytes, the gateway checks that the path stays inside the downloads folder and sends the file from
/// disk with ASP.NET's file result, which evaluates Range, If-Range, If-None-Match and If-Modified-Since against the
/// catalog's validators. The bytes pass through the policy step's counting body, so they are metered like any
/// other response. The file header is removed from every upstream response, and a client cannot offer the handoff:
/// the consumer-context transform drops every incoming <c>X-DataPlatform-</c> header before this one runs.
/// </summary>
sealed partial class FileHandoffTransforms(IOptions<FileHandoffOptions> options, IOptions<PlatformOptions> platform, ILogger<FileHandoffTransforms> logger)
    : ITransformProvider
{
    const string CatalogCluster = "catalog";
    static readonly object _offered = new();

    readonly string _root = Path.GetFullPath(string.IsNullOrWhiteSpace(options.Value.Directory)
        ? Path.Combine(platform.Value.DataDirectoryPath, FileHandoff.DirectoryName)
        : options.Value.Directory);

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (options.Value.Handoff && context.Route.ClusterId == CatalogCluster)
        {
            context.AddRequestTransform(Offer);
        }

        context.AddResponseTransform(SendAsync);
    }

    ValueTask Offer(RequestTransformContext context)
    {
        var request = context.HttpContext.Request;
        if ((HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && DownloadRequests.IsDownload(request)
            && Directory.Exists(_root))
        {
            context.ProxyRequest.Headers.Remove(FileHandoff.OfferHeader);
            context.ProxyRequest.Headers.TryAddWithoutValidation(FileHandoff.OfferHeader, FileHandoff.OfferValue);
            context.HttpContext.Items[_offered] = true;
        }

        return ValueTask.CompletedTask;
    }

    async ValueTask SendAsync(ResponseTransformContext context)
    {
        var response = context.HttpContext.Response;
        var named = response.Headers[FileHandoff.FileHeader].ToString();
        response.Headers.Remove(FileHandoff.FileHeader);
        if (named.Length == 0 || !context.HttpContext.Items.ContainsKey(_offered) || response.StatusCode != StatusCodes.Status200OK)
        {
            return;
        }

        context.SuppressResponseBody = true;
        var path = Resolve(named);
        if (path is null)
        {
            LogRefused(logger, named.Length > 200 ? named[..200] : named);
            response.Headers.Clear();
            await Results.Problem(statusCode: StatusCodes.Status502BadGateway, type: ProblemTypes.UpstreamUnavailable, title: "Download unavailable",
                detail: "The file could not be sent. Retry in a moment.").ExecuteAsync(context.HttpContext);
            return;
        }

        var headers = response.GetTypedHeaders();
        var contentType = response.ContentType ?? "application/octet-stream";
        var entityTag = headers.ETag;
        var lastModified = headers.LastModified;
        response.ContentLength = null;
        await TypedResults.PhysicalFile(path, contentType, fileDownloadName: null, lastModified, entityTag, enableRangeProcessing: true)
            .ExecuteAsync(context.HttpContext);
    }

    /// <summary>The full path of a file the catalog named, or <c>null</c> when the name leaves the folder or names nothing.</summary>
    string? Resolve(string relative)
    {
        if (Path.IsPathRooted(relative) || relative.Contains('\\') || relative.Contains('\0') || relative.Split('/').Any(s => s is "" or "." or ".."))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(_root, relative));
        return full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(full) ? full : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a download handoff to {File}: outside the downloads folder or missing")]
    static partial void LogRefused(ILogger logger, string file);
}
