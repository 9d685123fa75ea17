using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Descriptors;
using DataPlatform.Catalog.SampleData;
using DataPlatform.Catalog.Storage;
using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog;

/// <summary>
/// Runs after the migrations: loads the sample data on the first start in embedded mode (or when
/// configured), then rewrites every dataset's descriptor, which repairs any drift between the database and
/// Redis, for example after Redis lost its data.
/// </summary>
sealed partial class CatalogStartup(
    IServiceProvider services, IOptions<CatalogOptions> options, IOptions<PlatformOptions> platform, ILogger<CatalogStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.SeedSampleData ?? platform.Value.UsesSqlite)
        {
            await services.GetRequiredService<SampleDataSeeder>().SeedAsync(onlyIfEmpty: true, cancellationToken);
        }

        var count = await SyncDescriptorsAsync(services, cancellationToken);
        LogSynced(logger, count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static async Task<int> SyncDescriptorsAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var descriptors = services.GetRequiredService<DescriptorWriter>();
        var store = services.GetRequiredService<DatasetStore>();
        var all = await store.ListAllAsync(cancellationToken);
        await store.RefreshSearchTextAsync(all, cancellationToken);
        foreach (var dataset in all)
        {
            await descriptors.WriteAsync(dataset, cancellationToken);
        }

        return all.Count;
    }

    /// <summary>Applies the migrations outside the host, for commands such as <c>seed</c>.</summary>
    public static Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        SchemaMigrator.ApplyAsync(services.GetRequiredService<PlatformDatabase>(), CatalogMigrations.All, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote the descriptors of {Count} datasets to Redis")]
    static partial void LogSynced(ILogger logger, int count);
}
