using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DataPlatform.Catalog.Query;

/// <summary>Registers the query core that OData and GraphQL share.</summary>
public static class QueryServiceCollectionExtensions
{
    /// <summary>
    /// Adds the query options, the executor, the audit log of restricted reads (and its table) and the dataset change
    /// notifications. The dataset source defaults to
    /// one that knows no datasets; the catalog's store replaces it by registering its own
    /// <see cref="IQueryableDatasetSource"/> (registration order does not matter: this one is only a fallback).
    /// </summary>
    public static IServiceCollection AddQueryCore(this IServiceCollection services)
    {
        services.AddOptions<QueryOptions>()
            .BindConfiguration(QueryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IQueryableDatasetSource, NoQueryableDatasets>();
        services.TryAddSingleton<QueryableDatasetChanges>();
        services.TryAddSingleton<QueryConnections>();
        services.TryAddSingleton<QueryExecutor>();
        services.TryAddSingleton<QueryAuditLog>();
        services.AddMigrations([QueryAuditLog.Migration]);
        return services;
    }
}
