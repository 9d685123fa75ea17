using System.Security.Cryptography;
using DataPlatform.AppHost;
using DataPlatform.Contracts.ConsumerContext;
using Npgsql;
using StackExchange.Redis;
using Xunit;

namespace DataPlatform.Testing;

/// <summary>The two storage columns every functional test runs on.</summary>
public enum Backend
{
    /// <summary>Garnet in-process and SQLite files: what the one-command launcher runs.</summary>
    Embedded,

    /// <summary>redis-server and PostgreSQL: what production runs.</summary>
    Production,
}

/// <summary>
/// The whole platform, started once per test collection through the same launcher users run, on one of the
/// two backends. Tests reach it through the gateway as clients do, or directly for upstream checks.
/// </summary>
public abstract class PlatformFixture(Backend backend) : IAsyncLifetime
{
    readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "dataplatform-tests", Guid.NewGuid().ToString("N"));
    string? _postgresDatabase;
    RunningPlatform? _platform;

    public Backend Backend { get; } = backend;

    /// <summary>The secret the gateway signs consumer contexts with in this fixture.</summary>
    public byte[] ConsumerContextSecret { get; } = System.Text.Encoding.UTF8.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));

    public RunningPlatform Platform => _platform ?? throw new InvalidOperationException("The platform has not started.");

    public string DataDirectory => _dataDirectory;

    /// <summary>Where billing drops the e-mails it sends (.eml files).</summary>
    public string MailDirectory => Path.Combine(_dataDirectory, "mail");

    /// <summary>A client of the gateway, as a developer's program would be.</summary>
    public HttpClient CreateGatewayClient() => OutsideClient(Platform.GatewayUrl);

    /// <summary>A client that calls the catalog directly, bypassing the gateway.</summary>
    public HttpClient CreateCatalogClient() => OutsideClient(Platform.CatalogUrl);

    /// <summary>
    /// A client that calls the catalog directly as <paramref name="consumer"/>, with a consumer context signed
    /// afresh for each request the way the gateway signs it.
    /// </summary>
    public HttpClient CreateCatalogClient(ConsumerContext consumer) => SignedClient(Platform.CatalogUrl, consumer);

    /// <summary>A client that calls billing directly, bypassing the gateway.</summary>
    public HttpClient CreateBillingClient() => OutsideClient(Platform.BillingUrl);

    /// <summary>A client that calls billing directly as <paramref name="consumer"/>.</summary>
    public HttpClient CreateBillingClient(ConsumerContext consumer) => SignedClient(Platform.BillingUrl, consumer);

    /// <summary>A consumer holding <paramref name="roles"/>, for calls that need them.</summary>
    public static ConsumerContext Consumer(string accountId, params string[] roles) =>
        new(accountId, accountId, roles, [], "developer", "127.0.0.1", DateTimeOffset.UtcNow);

    HttpClient SignedClient(string baseAddress, ConsumerContext consumer) =>
        new(new ConsumerContextSigningHandler(consumer, ConsumerContextSecret) { InnerHandler = new SocketsHttpHandler { ActivityHeadersPropagator = null } })
        {
            BaseAddress = new Uri(baseAddress),
        };

    /// <summary>
    /// A client outside the platform's traces: the tests share a process with the platform's telemetry, and a
    /// default handler would stamp the test's own trace context on every request.
    /// </summary>
    public static HttpClient OutsideClient(string baseAddress) =>
        new(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = new Uri(baseAddress) };

    /// <summary>Settings a derived fixture adds, such as the address of a local Stripe fake.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings() => [];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDirectory);
        var settings = new Dictionary<string, string?>
        {
            ["DataPlatform:DataDirectory"] = _dataDirectory,
            ["DataPlatform:GatewayUrl"] = "http://127.0.0.1:0",
            ["DataPlatform:ConsumerContextSecret"] = System.Text.Encoding.UTF8.GetString(ConsumerContextSecret),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:Console:FormatterName"] = "simple",
            // Confirmation e-mails land as files that a test can open, as a person opens their mailbox.
            ["Billing:Mail:PickupDirectory"] = MailDirectory,
        };
        foreach (var (key, value) in ExtraSettings())
        {
            settings[key] = value;
        }

        if (Backend == Backend.Production)
        {
            settings["DataPlatform:Redis"] = await IsolatedRedisAsync();
            settings["DataPlatform:Database"] = await CreatePostgresDatabaseAsync();
        }

        _platform = await PlatformLauncher.StartAsync([], settings, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_platform is not null)
        {
            await _platform.DisposeAsync();
        }

        if (_postgresDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(TestServers.Postgres);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresDatabase}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a stopping server is left for the temp folder's cleanup.
        }
    }

    /// <summary>
    /// Test projects run in parallel against one redis-server, so each fixture takes a database number of
    /// its own (1–15, handed out by a counter in database 0) and empties it first.
    /// </summary>
    static async Task<string> IsolatedRedisAsync()
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis + ",allowAdmin=true");
        var number = 1 + (int)((await admin.GetDatabase(0).StringIncrementAsync("dataplatform:test:next-database") - 1) % 15);
        await admin.GetServers()[0].FlushDatabaseAsync(number);
        return $"{TestServers.Redis},defaultDatabase={number}";
    }

    async Task<string> CreatePostgresDatabaseAsync()
    {
        _postgresDatabase = "dataplatform_test_" + Guid.NewGuid().ToString("N")[..12];
        await using var admin = new NpgsqlConnection(TestServers.Postgres);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_postgresDatabase}\" ENCODING 'UTF8' TEMPLATE template0", admin);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Database = _postgresDatabase }.ConnectionString;
    }
}

/// <summary>The platform on Garnet in-process and SQLite.</summary>
public sealed class EmbeddedPlatformFixture() : PlatformFixture(Backend.Embedded);

/// <summary>The platform on redis-server and PostgreSQL.</summary>
public sealed class ProductionPlatformFixture() : PlatformFixture(Backend.Production);
