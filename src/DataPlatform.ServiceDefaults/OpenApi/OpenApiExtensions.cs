using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace DataPlatform.ServiceDefaults.OpenApi;

/// <summary>Each upstream service describes its API with Swashbuckle; the gateway's Swagger UI shows them all.</summary>
public static class OpenApiExtensions
{
    /// <summary>The path of a service's OpenAPI document.</summary>
    public const string DocumentPath = "/swagger/v1/swagger.json";

    /// <summary>Adds an OpenAPI document titled <paramref name="title"/>.</summary>
    public static IServiceCollection AddServiceOpenApi(this IServiceCollection services, string title, string description)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo { Title = title, Version = "v1", Description = description });
            options.CustomSchemaIds(type => type.FullName?.Replace('+', '.'));
        });
        return services;
    }

    /// <summary>Serves the document, naming the gateway as the server so that "Try it out" goes through it.</summary>
    public static WebApplication MapServiceOpenApi(this WebApplication app)
    {
        var gatewayUrl = app.Services.GetRequiredService<IOptions<PlatformOptions>>().Value.GatewayUrl;
        app.UseSwagger(options => options.PreSerializeFilters.Add((document, _) =>
            document.Servers = [new OpenApiServer { Url = gatewayUrl }]));
        return app;
    }
}
