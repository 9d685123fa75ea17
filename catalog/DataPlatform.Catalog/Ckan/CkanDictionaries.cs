using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Search;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Ckan;

/// <summary>
/// The catalog's datasets, publishers and themes as CKAN's dictionaries: packages, organizations, groups,
/// resources. Themes are free text here; CKAN groups need a name of 2–100 characters from <c>[a-z0-9_-]</c>,
/// so a group's name (and id) is its theme folded to such a name, and its title and display name the theme itself.
/// </summary>
static partial class CkanDictionaries
{
    /// <summary>The three resources every package has, by the suffix of their ids.</summary>
    public static readonly string[] ResourceKinds = ["csv", "odata", "graphql"];

    [GeneratedRegex("[^a-z0-9_-]+")]
    private static partial Regex NotNameCharacters();

    /// <summary>The CKAN name of the group that stands for <paramref name="theme"/>: "Dân cư" is <c>dan-cu</c>.</summary>
    public static string GroupName(string theme)
    {
        var name = NotNameCharacters().Replace(TextFolding.Fold(theme), "-").Trim('-');
        name = name.Length > 100 ? name[..100].TrimEnd('-') : name;
        return name.Length >= 2 ? name : "theme-" + (name.Length == 0 ? Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(theme))[..Math.Min(16, theme.Length * 2)] : name);
    }

    /// <summary>A dataset as a CKAN package dictionary.</summary>
    public static JsonObject Package(Dataset dataset, string baseUrl)
    {
        var m = dataset.Metadata;
        var links = DatasetView.LinksFor(dataset.Id, baseUrl);
        var extras = new List<(string, string?)>
        {
            ("access_level", DatasetStore.AccessName(m.AccessLevel)),
            ("product_id", m.AccessLevel == AccessLevel.Paid ? m.ProductId : null),
            ("frequency", m.AccrualPeriodicity),
            ("spatial_text", m.Spatial),
            ("temporal_start", m.Temporal?.Start?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            ("temporal_end", m.Temporal?.End?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            ("source", m.Source),
            ("synthetic", m.Synthetic ? "true" : "false"),
            ("synthetic_description", m.SyntheticDescription),
            ("title_en", m.Title.En),
            ("dcat_uri", links.Dcat),
        };
        return new JsonObject
        {
            ["id"] = dataset.Id,
            ["name"] = dataset.Id,
            ["type"] = "dataset",
            ["state"] = "active",
            ["private"] = m.AccessLevel == AccessLevel.Restricted,
            ["title"] = m.Title.Vi,
            ["title_translated"] = new JsonObject { ["vi"] = m.Title.Vi, ["en"] = m.Title.En },
            ["notes"] = m.Description.Vi,
            ["notes_translated"] = new JsonObject { ["vi"] = m.Description.Vi, ["en"] = m.Description.En },
            ["url"] = links.Self,
            ["version"] = dataset.CurrentVersion.ToString(CultureInfo.InvariantCulture),
            ["maintainer"] = m.ContactPoint.Name,
            ["maintainer_email"] = m.ContactPoint.Email,
            ["author"] = m.Publisher.Name,
            ["license_id"] = m.Licence.Id,
            ["license_title"] = m.Licence.Id,
            ["license_url"] = m.Licence.Url,
            ["metadata_created"] = Time(dataset.Created),
            ["metadata_modified"] = Time(dataset.Modified),
            ["owner_org"] = m.Publisher.Id,
            ["organization"] = Organization(m.Publisher),
            ["num_tags"] = m.Keywords.Count,
            ["tags"] = new JsonArray(m.Keywords.Select(k => (JsonNode)Tag(k)).ToArray()),
            ["groups"] = new JsonArray(m.Themes.Select(t => (JsonNode)Group(GroupName(t), t)).ToArray()),
            ["num_resources"] = ResourceKinds.Length,
            ["resources"] = new JsonArray(ResourceKinds.Select((kind, i) => (JsonNode)Resource(dataset, kind, i, baseUrl)).ToArray()),
            ["extras"] = new JsonArray(extras.Where(e => e.Item2 is not null)
                .Select(e => (JsonNode)new JsonObject { ["key"] = e.Item1, ["value"] = e.Item2 }).ToArray()),
        };
    }

    /// <summary>One of a package's resources (<paramref name="kind"/> one of <see cref="ResourceKinds"/>).</summary>
    public static JsonObject Resource(Dataset dataset, string kind, int position, string baseUrl)
    {
        var links = DatasetView.LinksFor(dataset.Id, baseUrl);
        var (name, format, url, mimetype) = kind switch
        {
            "csv" => ("CSV", "CSV", links.Download, "text/csv"),
            "odata" => ("OData", "OData", links.OData, "application/json"),
            _ => ("GraphQL", "GraphQL", links.GraphQL, "application/graphql-response+json"),
        };
        return new JsonObject
        {
            ["id"] = $"{dataset.Id}-{kind}",
            ["package_id"] = dataset.Id,
            ["name"] = name,
            ["description"] = "",
            ["format"] = format,
            ["mimetype"] = mimetype,
            ["url"] = url,
            ["url_type"] = null,
            ["position"] = position,
            ["state"] = "active",
            ["created"] = Time(dataset.Created),
            ["last_modified"] = Time(dataset.Modified),
            ["metadata_modified"] = Time(dataset.Modified),
        };
    }

    public static JsonObject Organization(Publisher publisher) => new()
    {
        ["id"] = publisher.Id,
        ["name"] = publisher.Id,
        ["title"] = publisher.Name,
        ["display_name"] = publisher.Name,
        ["description"] = publisher.NameEn ?? "",
        ["image_url"] = "",
        ["image_display_url"] = "",
        ["type"] = "organization",
        ["is_organization"] = true,
        ["state"] = "active",
        ["approval_status"] = "approved",
    };

    public static JsonObject Group(string name, string theme) => new()
    {
        ["id"] = name,
        ["name"] = name,
        ["title"] = theme,
        ["display_name"] = theme,
        ["description"] = "",
        ["image_url"] = "",
        ["image_display_url"] = "",
        ["type"] = "group",
        ["is_organization"] = false,
        ["state"] = "active",
        ["approval_status"] = "approved",
    };

    public static JsonObject Tag(string keyword) => new()
    {
        ["id"] = keyword,
        ["name"] = keyword,
        ["display_name"] = keyword,
        ["state"] = "active",
        ["vocabulary_id"] = null,
    };

    /// <summary>CKAN writes times as ISO 8601 in UTC without an offset, with microseconds.</summary>
    public static string Time(DateTimeOffset moment) => moment.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
}
