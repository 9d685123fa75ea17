using System.Text.RegularExpressions;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Datasets;

/// <summary>The body of a create-or-update request; every field is checked, and every missing one named.</summary>
public sealed record MetadataRequest(
    LocalizedText? Title,
    LocalizedText? Description,
    Publisher? Publisher,
    ContactPoint? ContactPoint,
    IReadOnlyList<string>? Themes,
    IReadOnlyList<string>? Keywords,
    Licence? Licence,
    AccessLevel? AccessLevel,
    string? ProductId,
    string? AccrualPeriodicity,
    TemporalCoverage? Temporal,
    string? Spatial,
    string? Source,
    bool? Synthetic,
    string? SyntheticDescription,
    IReadOnlyList<ColumnDefinition>? Columns);

/// <summary>The rules for dataset ids and metadata.</summary>
static partial class MetadataRules
{
    /// <summary>Like CKAN's names: 2 to 100 lowercase ASCII letters, digits and inner hyphens.</summary>
    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])$")]
    private static partial Regex Slug();

    public static bool IsValidId(string id) => Slug().IsMatch(id) && !id.Contains("--", StringComparison.Ordinal);

    public const string IdRule = "A dataset id is 2 to 100 characters: lowercase ASCII letters, digits and single hyphens inside, such as 'dan-so-2025'.";

    /// <summary>Checks <paramref name="request"/>; returns the metadata, or the errors by field.</summary>
    public static (DatasetMetadata? Metadata, Dictionary<string, string[]> Errors) Validate(MetadataRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request is null)
        {
            errors["body"] = ["The body must be a JSON object with the dataset's metadata."];
            return (null, errors);
        }

        void Require(string field, string? value, string message)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                errors[field] = [message];
            }
        }

        Require("title.vi", request.Title?.Vi, "The Vietnamese title is required.");
        Require("title.en", request.Title?.En, "The English title is required.");
        Require("description.vi", request.Description?.Vi, "The Vietnamese description is required.");
        Require("description.en", request.Description?.En, "The English description is required.");
        Require("publisher.id", request.Publisher?.Id, "The publisher's id is required.");
        Require("publisher.name", request.Publisher?.Name, "The publisher's name is required.");
        Require("contactPoint.name", request.ContactPoint?.Name, "A contact point's name is required.");
        Require("contactPoint.email", request.ContactPoint?.Email, "A contact point's email is required.");
        Require("licence.id", request.Licence?.Id, "A licence id is required, such as CC-BY-4.0.");
        Require("licence.url", request.Licence?.Url, "The licence's URL is required.");
        if (request.Licence?.Url is { Length: > 0 } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            errors["licence.url"] = ["The licence's URL must be an absolute URL."];
        }

        if (request.ContactPoint?.Email is { Length: > 0 } email && !email.Contains('@', StringComparison.Ordinal))
        {
            errors["contactPoint.email"] = ["The contact point's email is not an email address."];
        }

        if (request.AccessLevel is null)
        {
            errors["accessLevel"] = ["The access level is required: open, registered, paid or restricted."];
        }
        else if (request.AccessLevel == AccessLevel.Paid && string.IsNullOrWhiteSpace(request.ProductId))
        {
            errors["productId"] = ["A paid dataset names the data product it belongs to."];
        }

        if (request.Synthetic == true && string.IsNullOrWhiteSpace(request.SyntheticDescription))
        {
            errors["syntheticDescription"] = ["A synthetic dataset says how its data was made up."];
        }

        var columns = request.Columns ?? [];
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(columns[i]?.Name))
            {
                errors[$"columns[{i}].name"] = ["Every declared column has a name."];
            }
        }

        foreach (var duplicate in columns.Where(c => c?.Name is not null).GroupBy(c => c.Name.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors["columns"] = [$"The column '{duplicate.Key}' is declared twice."];
        }

        if (request.Temporal is { Start: { } start, End: { } end } && end < start)
        {
            errors["temporal"] = ["The temporal coverage ends before it starts."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        static IReadOnlyList<string> Clean(IReadOnlyList<string>? values) =>
            (values ?? []).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).Distinct(StringComparer.Ordinal).ToList();

        return (new DatasetMetadata(
            new LocalizedText(request.Title!.Vi!.Trim(), request.Title.En!.Trim()),
            new LocalizedText(request.Description!.Vi!.Trim(), request.Description.En!.Trim()),
            request.Publisher! with { Id = request.Publisher!.Id!.Trim(), Name = request.Publisher.Name!.Trim() },
            request.ContactPoint!,
            Clean(request.Themes),
            Clean(request.Keywords),
            request.Licence!,
            request.AccessLevel!.Value,
            request.AccessLevel == AccessLevel.Paid ? request.ProductId!.Trim() : null,
            request.AccrualPeriodicity,
            request.Temporal,
            request.Spatial,
            request.Source,
            request.Synthetic ?? false,
            request.Synthetic == true ? request.SyntheticDescription : null,
            columns.Select(c => c with { Name = c.Name.Trim() }).ToList()), errors);
    }
}
