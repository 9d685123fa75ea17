using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DataPlatform.Portal.Tests.Support;
using Microsoft.Playwright;

namespace DataPlatform.Portal.Tests.Security;

/// <summary>
/// Values a publisher wrote (a title, a description, a cell) reach the page as text, never as markup or links:
/// a dataset made to attack its readers runs no script on the portal.
/// </summary>
public abstract class DatasetValueEncodingTests(PortalPlatformFixture platform)
{
    [Fact]
    public async Task A_script_title_and_a_javascript_link_in_a_cell_render_as_inert_text()
    {
        var id = "xss-" + Guid.NewGuid().ToString("N")[..12];
        const string Title = "<script>window.__xss='title'</script>Tấn công";
        using (var publisher = platform.CreateCatalogClient(PlatformFixture.Consumer("acct-publisher", "publisher")))
        {
            var metadata = new JsonObject
            {
                ["title"] = new JsonObject { ["vi"] = Title, ["en"] = Title },
                ["description"] = new JsonObject { ["vi"] = "<img src=x onerror=\"window.__xss='description'\">", ["en"] = "</script><script>window.__xss='en'</script>" },
                ["publisher"] = new JsonObject { ["id"] = "vu-thu-nghiem", ["name"] = "<b>Vụ</b> Thử nghiệm" },
                ["contactPoint"] = new JsonObject { ["name"] = "Phòng Dữ liệu", ["email"] = "dulieu@example.vn" },
                ["themes"] = new JsonArray("Kiểm thử"),
                ["keywords"] = new JsonArray("<i>xss</i>"),
                ["licence"] = new JsonObject { ["id"] = "CC-BY-4.0", ["url"] = "javascript:window.__xss='licence'" },
                ["accessLevel"] = "open",
                ["synthetic"] = true,
                ["syntheticDescription"] = "<a href=\"javascript:window.__xss='synthetic'\">Made up</a> by a test.",
                ["columns"] = new JsonArray(new JsonObject { ["name"] = "ho_ten", ["sensitivity"] = "personal" }),
            };
            using var put = await publisher.PutAsJsonAsync($"/api/v1/datasets/{id}", metadata);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            using var csv = new ByteArrayContent(Encoding.UTF8.GetBytes("name,link,ho_ten\n\"<script>window.__xss='cell'</script>\",javascript:window.__xss='link',Nguyễn Văn An\n"));
            csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
            using var publish = await publisher.PostAsync($"/api/v1/datasets/{id}/versions", csv);
            Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync());
        }

        await using var visit = await Visit.StartAsync(platform);
        var page = visit.Page;
        foreach (var path in new[] { $"/datasets/{id}", $"/datasets/{id}?tab=api", $"/datasets?q={id}", "/datasets?lang=en" })
        {
            await page.GotoAsync(path);
            Assert.Null(await page.EvaluateAsync<string?>("() => window.__xss ?? null"));
            Assert.Equal(0, await page.Locator("a[href^='javascript:' i]").CountAsync());
        }

        await page.GotoAsync($"/datasets/{id}?lang=vi");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(Title);
        var cells = page.Locator("table.data-table tbody td");
        await Assertions.Expect(cells.Nth(0)).ToHaveTextAsync("<script>window.__xss='cell'</script>");
        await Assertions.Expect(cells.Nth(1)).ToHaveTextAsync("javascript:window.__xss='link'");
        Assert.Equal(0, await page.Locator("table.data-table tbody a, table.data-table tbody script, .dataset-head img, .meta-grid b, .meta-grid i").CountAsync());
        Assert.Null(await page.EvaluateAsync<string?>("() => window.__xss ?? null"));

        // The personal column is named in the schema as hidden from this visitor, and its values are nowhere.
        await Assertions.Expect(page.Locator("tr.hidden-column")).ToContainTextAsync("ho_ten");
        Assert.DoesNotContain("Nguyễn Văn An", await page.ContentAsync());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class DatasetValueEncodingTests_Embedded(PortalEmbeddedFixture platform) : DatasetValueEncodingTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class DatasetValueEncodingTests_Production(PortalProductionFixture platform) : DatasetValueEncodingTests(platform);
