using System.Text.Json;
using System.Text.Json.Nodes;
using DataPlatform.Catalog.Datasets;

namespace DataPlatform.Catalog.Ckan;

/// <summary>
/// A read-only subset of CKAN's Action API (version 3, as CKAN 2.10 and 2.11 serve it), so that harvesters and
/// clients written for CKAN (ckanapi, ckanext-harvest's CKAN harvester, the data portals' crawlers) work against the
/// catalog unchanged. Every action answers at <c>/api/action/{name}</c> and <c>/api/3/action/{name}</c>, to a GET
/// with a query string and to a POST with a JSON or form body. Answers use CKAN's envelope <c>{help, success,
/// result}</c>, and errors CKAN's <c>{help, success: false, error: {__type, message}}</c> with CKAN's status codes.
/// Restricted datasets, and the publishers, groups, tags and licences only they carry, do not exist for a caller
/// who may not see them.
/// </summary>
public static class CkanApi
{
    static readonly JsonSerializerOptions _json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEndpointRouteBuilder MapCkanApi(this IEndpointRouteBuilder app)
    {
        foreach (var (prefix, name) in new[] { ("/api/3/action", "CkanAction"), ("/api/action", "CkanActionUnversioned") })
        {
            app.MapMethods(prefix + "/{action}", [HttpMethods.Get, HttpMethods.Post], HandleAsync).WithTags("CKAN").WithName(name)
                .WithSummary("CKAN-compatible read-only actions (see help_show and docs/ckan.md), by GET with a query string or POST with a JSON or form body.")
                .DisableAntiforgery();
        }

        return app;
    }

    static async Task<IResult> HandleAsync(string action, HttpContext context, DatasetStore store, CancellationToken cancellationToken)
    {
        var baseUrl = CallerAccess.BaseUrl(context);
        var help = HelpUrl(baseUrl, action);
        try
        {
            var known = CkanActions.Find(action)
                ?? throw new CkanError(StatusCodes.Status400BadRequest, "Bad Request", $"Bad request - Action name not known: {action}");
            var parameters = await CkanParameters.ReadAsync(context.Request, cancellationToken);
            var call = new CkanCall(store, CallerAccess.Visibility(context), parameters, baseUrl, cancellationToken);
            var result = await known.Run(call);
            return Reply(new JsonObject { ["help"] = help, ["success"] = true, ["result"] = result }, StatusCodes.Status200OK);
        }
        catch (CkanError error)
        {
            var body = new JsonObject { ["__type"] = error.Type, ["message"] = error.Message };
            if (error.Field is not null)
            {
                body[error.Field] = new JsonArray(error.Message);
            }

            return Reply(new JsonObject { ["help"] = help, ["success"] = false, ["error"] = body }, error.Status);
        }
    }

    /// <summary>Where the envelope's <c>help</c> points: the action's documentation through <c>help_show</c>.</summary>
    static string HelpUrl(string baseUrl, string action) => $"{baseUrl}/api/3/action/help_show?name={Uri.EscapeDataString(action)}";

    static IResult Reply(JsonObject body, int status) =>
        Results.Text(body.ToJsonString(_json), "application/json", System.Text.Encoding.UTF8, status);
}

/// <summary>One action call: the catalog, what the caller may see, the parameters and the public address.</summary>
sealed record CkanCall(DatasetStore Store, Visibility Visibility, CkanParameters Parameters, string BaseUrl, CancellationToken CancellationToken)
{
    /// <summary>Every dataset the caller may see, in id order.</summary>
    public async Task<List<Dataset>> VisibleDatasetsAsync() =>
        (await Store.ListAllAsync(CancellationToken)).Where(Visibility.Sees).ToList();

    /// <summary>The text parameter <paramref name="name"/>, which must be given (CKAN's 409 "Missing value" otherwise).</summary>
    public string Required(string name) => Parameters.String(name) ?? throw CkanError.Missing(name);
}
