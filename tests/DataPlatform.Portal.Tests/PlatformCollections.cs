using Microsoft.Playwright;

namespace DataPlatform.Portal.Tests;

/// <summary>
/// The platform as the portal's tests need it: the sample datasets on both backends, and an anonymous tier wide
/// enough for a browser that opens every page many times from one address in a few minutes.
/// </summary>
public abstract class PortalPlatformFixture(Backend backend) : PlatformFixture(backend), IAsyncLifetime
{
    // A folder of the portal tests' own: the shared one under the temp folder is emptied by other suites' cleanup
    // on a busy machine, which took the embedded catalog's SQLite files away in the middle of a run.
    readonly string _portalDataDirectory = Path.Combine(Path.GetTempPath(), "dataplatform-portal-tests", Guid.NewGuid().ToString("N"));
    IPlaywright? _playwright;
    IBrowser? _browser;

    /// <summary>Debian's chromium, headless, shared by the collection's tests; each test opens contexts of its own.</summary>
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("DataPlatform:DataDirectory", _portalDataDirectory),
        new("Catalog:SeedSampleData", "true"),
        new("Gateway:Anonymous:BurstPerSecond", "100000"),
        new("Gateway:Anonymous:RequestsPerMinute", "1000000"),
    ];

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        var chromium = Environment.GetEnvironmentVariable("DATAPLATFORM_TEST_CHROMIUM");
        if (string.IsNullOrEmpty(chromium))
        {
            throw new InvalidOperationException("DATAPLATFORM_TEST_CHROMIUM is not set: run the tests with ./test.sh, which installs and names Debian's chromium.");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await DisposeAsync();
        try
        {
            Directory.Delete(_portalDataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a stopping server is left for the temp folder's cleanup.
        }
    }
}

public sealed class PortalEmbeddedFixture() : PortalPlatformFixture(Backend.Embedded);

public sealed class PortalProductionFixture() : PortalPlatformFixture(Backend.Production);

/// <summary>Tests in this collection share one platform on Garnet and SQLite.</summary>
[CollectionDefinition(Name)]
public sealed class EmbeddedCollection : ICollectionFixture<PortalEmbeddedFixture>
{
    public const string Name = "embedded";
}

/// <summary>Tests in this collection share one platform on redis-server and PostgreSQL.</summary>
[CollectionDefinition(Name)]
public sealed class ProductionCollection : ICollectionFixture<PortalProductionFixture>
{
    public const string Name = "production";
}
