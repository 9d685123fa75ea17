using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPlatform.Catalog.Tests.Ckan;

/// <summary>The read-only actions beyond package_show and package_search, with CKAN 2.10/2.11's parameters.</summary>
public abstract class CkanActionTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task Package_search_sorts_by_id_name_title_modification_and_score()
    {
        var organization = "so-sap-xep-" + CatalogTestData.NewWord();
        var word = CatalogTestData.NewWord();
        var ids = new[] { CatalogTestData.NewId("c"), CatalogTestData.NewId("a"), CatalogTestData.NewId("b") };
        var titles = new[] { $"Ấp {word}", $"Cầu {word}", $"Bến {word} {word}" };
        using (var publisher = platform.Publisher())
        {
            for (var i = 0; i < ids.Length; i++)
            {
                await publisher.CreateAsync(ids[i], CatalogTestData.Metadata(titleVi: titles[i], publisherId: organization));
            }
        }

        using var client = platform.CreateGatewayClient();
        async Task<List<string>> SortedAsync(string sort) =>
            (await client.JsonAsync($"/api/3/action/package_search?q={word}&fq=organization:{organization}&sort={Uri.EscapeDataString(sort)}"))
            .GetProperty("result").GetProperty("results").EnumerateArray().Select(p => p.GetProperty("id").GetString()!).ToList();

        Assert.Equal(ids.Order(StringComparer.Ordinal), await SortedAsync("id asc"));
        Assert.Equal(ids.Order(StringComparer.Ordinal).Reverse(), await SortedAsync("name desc"));
        Assert.Equal([ids[0], ids[2], ids[1]], await SortedAsync("title_string asc"));
        Assert.Equal(ids.AsEnumerable().Reverse(), await SortedAsync("metadata_modified desc"));
        Assert.Equal(ids[2], (await SortedAsync("score desc, metadata_modified desc"))[0]);

        using var unknown = await client.GetAsync($"/api/3/action/package_search?sort={Uri.EscapeDataString("popularity desc")}");
        Assert.Equal(HttpStatusCode.Conflict, unknown.StatusCode);
        Assert.Equal("Search Query Error", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("__type").GetString());
    }

    [Fact]
    public async Task Organizations_groups_tags_and_licences_list_only_what_visible_datasets_carry()
    {
        var word = CatalogTestData.NewWord();
        var open = CatalogTestData.NewId();
        var hidden = CatalogTestData.NewId();
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(open, CatalogTestData.Metadata(publisherId: "so-mo-" + word, themes: [$"Mở {word}"], keywords: [$"từ khoá {word}"], licence: "CC0-1.0-" + word));
            await publisher.CreateAsync(hidden, CatalogTestData.Metadata(access: "restricted", publisherId: "so-kin-" + word, themes: [$"Kín {word}"],
                keywords: [$"bí mật {word}"], licence: "LIC-KIN-" + word));
        }

        using var client = platform.CreateGatewayClient();
        var organizations = await ResultAsync(client, "organization_list?sort=name%20asc");
        var groups = await ResultAsync(client, $"group_list?all_fields=true&groups=mo-{word}&groups=kin-{word}");
        var tags = await ResultAsync(client, $"tag_list?query=khoa%20{word}");
        var hiddenTags = await ResultAsync(client, $"tag_list?query={word}");
        var licences = (await ResultAsync(client, "license_list")).EnumerateArray().Select(l => l.GetProperty("id").GetString()).ToList();
        using var hiddenOrganization = await client.GetAsync($"/api/3/action/organization_show?id=so-kin-{word}");
        using var hiddenGroup = await client.GetAsync($"/api/3/action/group_show?id=kin-{word}");

        var organizationNames = organizations.EnumerateArray().Select(o => o.GetString()!).ToList();
        Assert.Contains("so-mo-" + word, organizationNames);
        Assert.DoesNotContain("so-kin-" + word, organizationNames);
        Assert.Equal(organizationNames.Order(StringComparer.Ordinal), organizationNames);
        var group = Assert.Single(groups.EnumerateArray());
        Assert.Equal($"mo-{word}", group.GetProperty("name").GetString());
        Assert.Equal($"Mở {word}", group.GetProperty("display_name").GetString());
        Assert.Equal(1, group.GetProperty("package_count").GetInt32());
        Assert.Equal([$"từ khoá {word}"], tags.EnumerateArray().Select(t => t.GetString()));
        Assert.DoesNotContain($"bí mật {word}", hiddenTags.EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("CC0-1.0-" + word, licences);
        Assert.DoesNotContain("LIC-KIN-" + word, licences);
        Assert.Equal(HttpStatusCode.NotFound, hiddenOrganization.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, hiddenGroup.StatusCode);

        // The caller who holds the grant sees the restricted dataset's publisher and group.
        using var entitled = platform.Entitled(Contracts.Access.Entitlements.Dataset(hidden));
        var shown = await ResultAsync(entitled, $"organization_show?id=so-kin-{word}&include_datasets=true");
        Assert.Equal([hidden], shown.GetProperty("packages").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Resource_show_autocomplete_and_the_current_package_list_read_visible_datasets()
    {
        var word = CatalogTestData.NewWord();
        var open = CatalogTestData.NewId();
        var hidden = CatalogTestData.NewId();
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(open, CatalogTestData.Metadata(titleVi: $"Đường phố {word}"));
            await publisher.CreateAsync(hidden, CatalogTestData.Metadata(titleVi: $"Đường bí mật {word}", access: "restricted"));
        }

        using var client = platform.CreateGatewayClient();
        var resource = await ResultAsync(client, $"resource_show?id={open}-odata");
        var completions = await ResultAsync(client, $"package_autocomplete?q=pho%20{word}");
        var current = await ResultAsync(client, "current_package_list_with_resources?limit=50");
        var paged = await ResultAsync(client, "current_package_list_with_resources?limit=1&page=2");

        Assert.Equal(open, resource.GetProperty("package_id").GetString());
        Assert.Equal("OData", resource.GetProperty("format").GetString());
        Assert.EndsWith($"/odata/{open}", resource.GetProperty("url").GetString());
        var completion = Assert.Single(completions.EnumerateArray());
        Assert.Equal(open, completion.GetProperty("name").GetString());
        Assert.Equal("title", completion.GetProperty("match_field").GetString());
        Assert.Equal($"Đường phố {word} ({open})", completion.GetProperty("match_displayed").GetString());
        var currentIds = current.EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.Equal(open, currentIds[0]);
        Assert.DoesNotContain(hidden, currentIds);
        Assert.Equal(3, current[0].GetProperty("resources").GetArrayLength());
        Assert.Equal(currentIds[1], Assert.Single(paged.EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Every_envelope_points_at_help_show_which_documents_the_action()
    {
        using var client = platform.CreateGatewayClient();
        var status = await client.JsonAsync("/api/action/status_show");
        var help = new Uri(status.GetProperty("help").GetString()!);
        var documentation = await client.JsonAsync(help.PathAndQuery);
        var search = (await client.JsonAsync("/api/3/action/help_show?name=package_search")).GetProperty("result").GetString();
        using var unknown = await client.GetAsync("/api/3/action/help_show?name=package_create");

        Assert.Equal("/api/3/action/help_show?name=status_show", help.PathAndQuery);
        Assert.StartsWith("2.1", status.GetProperty("result").GetProperty("ckan_version").GetString());
        Assert.Contains("site_url", documentation.GetProperty("result").GetString());
        Assert.Contains(":param fq:", search);
        Assert.Contains("metadata_modified:[", search);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    static async Task<JsonElement> ResultAsync(HttpClient client, string action)
    {
        var reply = await client.JsonAsync("/api/3/action/" + action);
        Assert.True(reply.GetProperty("success").GetBoolean());
        return reply.GetProperty("result").Clone();
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class CkanActionTests_Embedded(CatalogEmbeddedFixture platform) : CkanActionTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class CkanActionTests_Production(CatalogProductionFixture platform) : CkanActionTests(platform);
