using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;

namespace DataPlatform.Gateway.Routing;

/// <summary>The gateway's own pages: an index of the public entry points and the API documentation.</summary>
static class GatewayIndexApi
{
    public static IEndpointRouteBuilder MapGatewayIndex(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", GetIndex)
            .WithName("GetIndex")
            .WithSummary("The platform's public entry points.")
            .ExcludeFromDescription();
        return app;
    }

    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        // Each upstream serves its own OpenAPI document; the routes publish them under /openapi/. The UI's
        // middleware runs only under /swagger, so proxied requests do not pay for its path checks.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/swagger"), swagger => swagger.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "swagger";
            ui.DocumentTitle = "DataPlatform API";
            ui.SwaggerEndpoint("/openapi/catalog.json", "Catalog");
            ui.SwaggerEndpoint("/openapi/billing.json", "Billing");
        }));
        return app;
    }

    static IResult GetIndex(IOptions<PlatformOptions> options, CancellationToken cancellationToken)
    {
        var root = options.Value.GatewayUrl.TrimEnd('/');
        return TypedResults.Ok(new
        {
            name = "DataPlatform",
            description = "Open data and data services of the Ministry of Home Affairs",
            links = new Dictionary<string, string>
            {
                ["documentation"] = root + "/swagger",
                ["health"] = root + "/health/ready",
            },
        });
    }
}
