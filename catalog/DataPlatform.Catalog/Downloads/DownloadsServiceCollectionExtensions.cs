namespace DataPlatform.Catalog.Downloads;

/// <summary>Registers downloads: the export reader, the file cache, the signing keys and their JWKS.</summary>
static class DownloadsServiceCollectionExtensions
{
    public static IServiceCollection AddDownloads(this IServiceCollection services)
    {
        services.AddOptions<DownloadOptions>()
            .BindConfiguration(DownloadOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<DownloadPaths>();
        services.AddSingleton<ExportReader>();
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<DownloadsJwks>();
        services.AddSingleton<MaterialisedFiles>();
        services.AddSingleton<DownloadCacheSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<DownloadCacheSweeper>());
        return services;
    }
}
