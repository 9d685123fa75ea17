using System.Text.Encodings.Web;
using System.Text.Json;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Gateway.Authorization;

/// <summary>
/// The gateway's answer for a dataset the caller may not know of (restricted without the entitlement, or
/// deleted): the same status, headers and body as the catalog's answer for a dataset that does not exist, on
/// each front door, so that nothing in the response tells the two apart. OData answers in OData's error
/// format; the REST API with problem details. The gateway tests compare both with the real catalog's answers.
/// </summary>
static class MissingDataset
{
    public static IResult Answer(HttpRequest request, string datasetId)
    {
        var problem = DatasetAccessProblem.NotFound(datasetId);
        return request.Path.StartsWithSegments("/odata", StringComparison.OrdinalIgnoreCase)
            ? new ODataNotFound(problem.Detail)
            : Results.Problem(problem.Detail, statusCode: problem.Status, title: problem.Title, type: problem.Type);
    }

    // The catalog writes OData JSON unescaped beyond what JSON requires (Vietnamese stays readable).
    static readonly JsonWriterOptions _writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    sealed class ODataNotFound(string message) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "application/json;charset=utf-8";
            // OData 4.01 unless the client caps the version at 4.0, as the catalog's OData endpoint decides.
            response.Headers["OData-Version"] =
                httpContext.Request.Headers["OData-MaxVersion"].ToString().Trim() == "4.0" ? "4.0" : "4.01";
            await using var writer = new Utf8JsonWriter(response.Body, _writerOptions);
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("code", "DatasetNotFound");
            writer.WriteString("message", message);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
    }
}
