using System.Net;
using System.Text.Json;
using DataPlatform.Contracts.ConsumerContext;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataPlatform.Gateway.Tests.Support;

/// <summary>
/// A real HTTP server standing behind the test gateways in place of the catalog, whose dataset endpoints are
/// built in parallel on another branch. It answers every path with what it received (path, query, header
/// names, the verified consumer), so a test sees exactly what reached the upstream; <c>?bytes=N</c> makes it
/// send N bytes instead, <c>?status=N</c> answers with that status, and <c>?handoff=path</c> answers as the catalog
/// does when it hands a download file over to the gateway.
/// </summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    readonly WebApplication _app;

    EchoUpstream(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<EchoUpstream> StartAsync(byte[] secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        EchoUpstream? self = null;
        app.Run(context => AnswerAsync(context, secret, self));
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return self = new EchoUpstream(app, url);
    }

    /// <summary>Completed by a test to let <c>?held=N</c> answers send their second half.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many requests reached the upstream, by path.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, int> Received { get; } = new(StringComparer.Ordinal);

    static async Task AnswerAsync(HttpContext context, byte[] secret, EchoUpstream? self)
    {
        self?.Received.AddOrUpdate(context.Request.Path.Value ?? "", 1, (_, count) => count + 1);
        var query = context.Request.Query;
        if (query.TryGetValue("status", out var status))
        {
            context.Response.StatusCode = int.Parse(status!, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (query.TryGetValue("handoff", out var handoff))
        {
            // The catalog's answer to a download the gateway offered to send: a file's path and its validators, no body.
            context.Response.Headers[Contracts.Downloads.FileHandoff.FileHeader] = handoff.ToString();
            context.Response.Headers.ETag = "\"handed-over\"";
            context.Response.Headers.LastModified = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).ToString("R");
            context.Response.ContentType = "text/csv; charset=utf-8";
            context.Response.Headers["X-Offered"] = context.Request.Headers[Contracts.Downloads.FileHandoff.OfferHeader].ToString();
            return;
        }

        if (query.TryGetValue("held", out var held) && self is not null)
        {
            // Half of the body, flushed, then the rest only once the test releases it: a download still being made.
            var half = new byte[int.Parse(held!, System.Globalization.CultureInfo.InvariantCulture)];
            Array.Fill(half, (byte)'x');
            context.Response.ContentType = "text/csv; charset=utf-8";
            await context.Response.Body.WriteAsync(half);
            await context.Response.Body.FlushAsync();
            await self.Release.Task;
            await context.Response.Body.WriteAsync(half);
            return;
        }

        if (query.TryGetValue("bytes", out var bytes))
        {
            var body = new byte[int.Parse(bytes!, System.Globalization.CultureInfo.InvariantCulture)];
            Array.Fill(body, (byte)'x');
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(body);
            return;
        }

        string? consumer = null;
        if (context.Request.Headers.TryGetValue(ConsumerContextHeader.Name, out var header)
            && ConsumerContextHeader.Verify(header.ToString(), secret, DateTimeOffset.UtcNow, out var verified) == ConsumerContextVerdict.Valid)
        {
            consumer = verified!.ConsumerId;
        }

        await context.Response.WriteAsJsonAsync(new EchoedRequest(
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.Keys.Select(name => name.ToLowerInvariant()).Order().ToList(),
            context.Request.Headers.Authorization.ToString(),
            consumer,
            context.Request.Headers["X-Forwarded-For"].ToString(),
            new string('p', 2000)));
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>What the upstream received, as <see cref="EchoUpstream"/> reports it.</summary>
public sealed record EchoedRequest(
    string Path, string Query, List<string> Headers, string Authorization, string? Consumer, string ForwardedFor, string Padding)
{
    public static async Task<EchoedRequest> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await JsonSerializer.DeserializeAsync<EchoedRequest>(
            await response.Content.ReadAsStreamAsync(), new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;
    }
}
