using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.ConsumerContext;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// The datasets a test created as real tables, offered to the query core through the public
/// <see cref="IQueryableDatasetSource"/> registration that the catalog's dataset store also uses. It stands in
/// only for the store's bookkeeping (which table is a dataset's current version); the tables, the database, the
/// host and everything that answers the request are real.
/// </summary>
sealed class TestDatasetRegistry(params QueryableDataset[] datasets) : IQueryableDatasetSource
{
    readonly List<QueryableDataset> _datasets = [.. datasets];

    public void Add(QueryableDataset dataset)
    {
        lock (_datasets)
        {
            _datasets.Add(dataset);
        }
    }

    public ValueTask<QueryableDataset?> FindAsync(string datasetId, CancellationToken cancellationToken)
    {
        lock (_datasets)
        {
            return ValueTask.FromResult(_datasets.FirstOrDefault(d => d.Id == datasetId));
        }
    }

    public ValueTask<IReadOnlyList<QueryableDataset>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_datasets)
        {
            return ValueTask.FromResult<IReadOnlyList<QueryableDataset>>([.. _datasets]);
        }
    }
}

/// <summary>
/// A second catalog host, built by <see cref="CatalogHost.Build"/> exactly as the launcher builds it, on the
/// fixture's database, Redis and consumer-context secret, with <see cref="TestDatasetRegistry"/> registered
/// through the builder hook.
/// </summary>
sealed class CatalogWithDatasets : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly PlatformFixture _platform;

    CatalogWithDatasets(WebApplication app, PlatformFixture platform, string url)
    {
        _app = app;
        _platform = platform;
        Url = url;
    }

    public string Url { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<CatalogWithDatasets> StartAsync(PlatformFixture platform, IQueryableDatasetSource source, IDictionary<string, string?>? extra = null)
    {
        var options = platform.Platform.Options;
        var settings = new Dictionary<string, string?>
        {
            ["DataPlatform:DataDirectory"] = platform.DataDirectory,
            ["DataPlatform:Database"] = options.Database,
            ["DataPlatform:Redis"] = platform.Platform.RedisConnectionString,
            ["DataPlatform:ConsumerContextSecret"] = System.Text.Encoding.UTF8.GetString(platform.ConsumerContextSecret),
            ["DataPlatform:CatalogUrl"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:Console:FormatterName"] = "simple",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var app = CatalogHost.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddSingleton(source);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new CatalogWithDatasets(app, platform, url);
    }

    /// <summary>A client without consumer context: an anonymous caller.</summary>
    public HttpClient Client() => PlatformFixture.OutsideClient(Url);

    /// <summary>A client whose requests carry <paramref name="consumer"/>, signed as the gateway signs it.</summary>
    public HttpClient Client(ConsumerContext consumer) =>
        new(new ConsumerContextSigningHandler(consumer, _platform.ConsumerContextSecret) { InnerHandler = new SocketsHttpHandler { ActivityHeadersPropagator = null } })
        {
            BaseAddress = new Uri(Url),
        };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
