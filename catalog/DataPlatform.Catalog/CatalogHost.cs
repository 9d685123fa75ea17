using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using DataPlatform.Catalog.Ckan;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Dcat;
using DataPlatform.Catalog.Descriptors;
using DataPlatform.Catalog.Downloads;
using DataPlatform.Catalog.GraphQL;
using DataPlatform.Catalog.OData;
using DataPlatform.Catalog.Publishing;
using DataPlatform.Catalog.Query;
using DataPlatform.Catalog.SampleData;
using DataPlatform.Catalog.Storage;
using DataPlatform.Catalog.Versions;
using DataPlatform.ServiceDefaults;
using DataPlatform.ServiceDefaults.OpenApi;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DataPlatform.Catalog;

/// <summary>
/// Builds the catalog service. <c>Program.cs</c> runs it alone; the launcher and the functional tests host
/// it in-process next to the gateway and billing.
/// </summary>
public static class CatalogHost
{
    /// <summary>The catalog as the service defaults know it.</summary>
    public static readonly PlatformService Service = new("catalog", options => options.CatalogUrl, UsesDatabase: true);

    /// <summary>Builds the catalog; <paramref name="configure"/> may add configuration before services are added.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(CatalogHost).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        builder.AddServiceDefaults(Service);
        builder.Services.AddServiceOpenApi(
            "DataPlatform Catalog API",
            "Datasets of the Ministry of Home Affairs: catalog, publishing, OData, GraphQL and downloads.");
        AddCatalog(builder);
        builder.Services.AddQueryCore();
        builder.Services.AddSingleton<GraphQLSchemaProvider>();
        builder.Services.AddDownloads();

        var app = builder.Build();

        app.UseServiceDefaults();
        app.UseConsumerContext();
        app.MapServiceOpenApi();
        app.MapDatasetsApi();
        app.MapPublishingApi();
        app.MapVersionsApi();
        app.MapDcatApi();
        app.MapCkanApi();
        app.MapODataApi();
        app.MapGraphQLApi();
        app.MapQueryAuditApi();
        app.MapDownloadsApi();

        return app;
    }

    /// <summary>
    /// Loads the sample datasets that are missing, into whatever database is configured: the production
    /// counterpart of the automatic load on an embedded first start (<c>… -- seed</c>).
    /// </summary>
    public static async Task<int> SeedSampleDataAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await CatalogStartup.MigrateAsync(services, cancellationToken);
        var loaded = await services.GetRequiredService<SampleDataSeeder>().SeedAsync(onlyIfEmpty: false, cancellationToken);
        await CatalogStartup.SyncDescriptorsAsync(services, cancellationToken);
        return loaded;
    }

    /// <summary>Writes a synthetic benchmark CSV of <paramref name="rows"/> rows to <paramref name="path"/>.</summary>
    public static void GenerateBenchmarkCsv(string path, long rows)
    {
        using var output = new StreamWriter(path, false, new System.Text.UTF8Encoding(false), 1 << 16);
        SyntheticData.WriteBenchmarkCsv(output, SampleDataSeeder.LoadProvinces(), rows);
    }

    static void AddCatalog(WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogOptions>()
            .BindConfiguration(CatalogOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddMigrations(CatalogMigrations.All);
        builder.Services.AddExceptionHandler<DatabaseBusyHandler>();
        builder.Services.AddSingleton<DatasetStore>();
        builder.Services.AddSingleton<DatasetPublisher>();
        builder.Services.AddSingleton<DescriptorWriter>();
        // TryAdd: a host built with its own dataset source (the query tests' registry of hand-made tables) keeps it.
        builder.Services.TryAddSingleton<IQueryableDatasetSource, CatalogQueryableDatasets>();
        builder.Services.AddHostedService<DatasetChangeSubscriber>();
        builder.Services.AddSingleton<SampleDataSeeder>();
        builder.Services.AddHostedService<CatalogStartup>();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            // Vietnamese stays readable in responses instead of turning into \u escapes.
            json.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
    }
}
