using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DataPlatform.ServiceDefaults.Storage;

/// <summary>Applies the service's migrations before the service takes requests.</summary>
sealed class MigrationHostedService(PlatformDatabase database, IEnumerable<Migration> migrations) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        SchemaMigrator.ApplyAsync(database, migrations.ToList(), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Registers a service's migrations.</summary>
public static class MigrationServiceCollectionExtensions
{
    /// <summary>Adds <paramref name="migrations"/> to those applied at start-up.</summary>
    public static IServiceCollection AddMigrations(this IServiceCollection services, IEnumerable<Migration> migrations)
    {
        foreach (var migration in migrations)
        {
            services.AddSingleton(migration);
        }

        return services;
    }
}
