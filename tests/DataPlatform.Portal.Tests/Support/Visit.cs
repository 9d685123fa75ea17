using System.Security.Cryptography;
using Microsoft.Playwright;

namespace DataPlatform.Portal.Tests.Support;

/// <summary>One visitor: a fresh browser context (no cookies) at a given width and language, with one page.</summary>
public sealed class Visit : IAsyncDisposable
{
    public const int Desktop = 1280;
    public const int Mobile = 360;

    Visit(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>
    /// Opens a browser context whose Accept-Language is <paramref name="locale"/>, as a visitor's browser would send it.
    /// </summary>
    public static async Task<Visit> StartAsync(PortalPlatformFixture platform, int width = Desktop, string locale = "vi-VN", bool javaScript = true)
    {
        var context = await platform.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = platform.Platform.GatewayUrl,
            ViewportSize = new ViewportSize { Width = width, Height = width == Mobile ? 740 : 900 },
            Locale = locale,
            JavaScriptEnabled = javaScript,
            AcceptDownloads = true,
        });
        return new Visit(context, await context.NewPageAsync());
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();

    /// <summary>The SHA-256 of a downloaded file, in lower-case hex.</summary>
    public static async Task<string> Sha256Async(IDownload download)
    {
        var path = await download.PathAsync();
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }
}

/// <summary>Where the test run writes the portal's screenshots: <c>docs/portal/</c> of the repository.</summary>
public static class Screenshots
{
    public static string Directory
    {
        get
        {
            var folder = new DirectoryInfo(AppContext.BaseDirectory);
            while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "DataPlatform.sln")))
            {
                folder = folder.Parent;
            }

            var path = Path.Combine(folder?.FullName ?? Path.GetTempPath(), "docs", "portal");
            System.IO.Directory.CreateDirectory(path);
            return path;
        }
    }

    public static Task TakeAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, name + ".png"), Type = ScreenshotType.Png });
}
