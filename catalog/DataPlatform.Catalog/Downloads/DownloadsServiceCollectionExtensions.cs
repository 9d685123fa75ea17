namespace DataPlatform.Catalog.Downloads;

/// <summary>Registers downloads: the export reader, the file cache and its builds ahead, the signing keys and their JWKS.</summary>
static class DownloadsServiceCollectionExtensions
{
    public static IServiceCollection AddDownloads(this IServiceCollection services)
    {
        services.AddOptions<DownloadOptions>()
            .BindConfiguration(DownloadOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => DownloadFormats.TryParseList(o.PrebuildFormats) is not null,
                $"{DownloadOptions.SectionName}:PrebuildFormats must list download formats, comma separated, among {DownloadFormats.Supported}.")
            .ValidateOnStart();
        services.AddSingleton<DownloadPaths>();
        services.AddSingleton<ExportReader>();
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<DownloadsJwks>();
        services.AddSingleton<MaterialisedFiles>();
        services.AddSingleton<WholeVersionFiles>();
        services.AddSingleton<DownloadPrebuilder>();
        services.AddSingleton<DownloadCacheSweeper>();
        services.AddHostedService(provider => provider.GetRequiredService<DownloadCacheSweeper>());
        services.AddSingleton<DownloadCounter>();
        services.AddHostedService(provider => provider.GetRequiredService<DownloadCounter>());
        return services;
    }
}
