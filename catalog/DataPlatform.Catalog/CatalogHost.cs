using DataPlatform.Catalog.GraphQL;
using DataPlatform.Catalog.OData;
using DataPlatform.Catalog.Query;
using DataPlatform.ServiceDefaults;
using DataPlatform.ServiceDefaults.OpenApi;

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
        builder.Services.AddQueryCore();
        builder.Services.AddSingleton<GraphQLSchemaProvider>();

        var app = builder.Build();

        app.UseServiceDefaults();
        app.UseConsumerContext();
        app.MapServiceOpenApi();
        app.MapODataApi();
        app.MapGraphQLApi();
        app.MapQueryAuditApi();

        return app;
    }
}
