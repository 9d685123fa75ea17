using DataPlatform.Portal.Tests.Support;
using Microsoft.Playwright;

namespace DataPlatform.Portal.Tests.Journeys;

/// <summary>What a member of the public does on the portal, in a real browser, as they would do it.</summary>
public abstract class PublicJourneyTests(PortalPlatformFixture platform)
{
    const string Provinces = "don-vi-hanh-chinh-cap-tinh-2025";
    const string Paid = "bien-che-cong-chuc-theo-tinh";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_visitor_finds_the_provinces_filters_them_and_downloads_a_csv_whose_sha256_is_the_published_one(bool javaScript)
    {
        await using var visit = await Visit.StartAsync(platform, javaScript: javaScript);
        var page = visit.Page;

        await page.GotoAsync("/");
        await page.GetByLabel("Tìm bộ dữ liệu").FillAsync("ha noi");
        await page.GetByRole(AriaRole.Button, new() { Name = "Tìm kiếm" }).ClickAsync();
        await page.WaitForURLAsync("**/datasets?q=ha*noi");
        var result = page.Locator($"ol.result-list a[href='/datasets/{Provinces}']");
        await Assertions.Expect(result).ToBeVisibleAsync();

        await result.ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("tỉnh");
        await page.GetByLabel("Cột").SelectOptionAsync("name");
        await page.GetByLabel("Điều kiện").SelectOptionAsync("eq");
        await page.GetByLabel("Giá trị").FillAsync("Hà Nội");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lọc", Exact = true }).ClickAsync();
        var rows = page.Locator("table.data-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("Thành phố Hà Nội");

        await page.GetByRole(AriaRole.Link, new() { Name = "Tải về", Exact = true }).ClickAsync();
        var published = (await page.Locator("code.hash[data-format='csv']").InnerTextAsync()).Trim();
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("a.download[data-format='csv']").ClickAsync());

        Assert.Matches("^[0-9a-f]{64}$", published);
        Assert.Equal(published, await Visit.Sha256Async(download));
        Assert.StartsWith(Provinces, download.SuggestedFilename, StringComparison.Ordinal);
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);

        // The download counts: the home page lists the provinces among the most downloaded (counts are written every
        // few seconds), and the search orders by downloads.
        var mostDownloaded = page.Locator($"section[aria-labelledby='popular-title'] a[href='/datasets/{Provinces}']");
        for (var attempt = 0; attempt < 60 && await mostDownloaded.CountAsync() == 0; attempt++)
        {
            await Task.Delay(500);
            await page.GotoAsync("/");
        }

        await Assertions.Expect(mostDownloaded).ToBeVisibleAsync();
        await page.GotoAsync("/datasets?sort=downloads");
        await Assertions.Expect(page.Locator("ol.result-list li").First).ToContainTextAsync("lượt tải");
    }

    [Fact]
    public async Task A_visitor_who_switches_to_english_sees_the_same_pages_in_english()
    {
        await using var visit = await Visit.StartAsync(platform);
        var page = visit.Page;

        await page.GotoAsync("/datasets?q=ha+noi");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "vi");
        await page.GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();

        // The switch keeps the visitor on the same search.
        await page.WaitForURLAsync("**/datasets?q=ha*noi");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Datasets");
        await Assertions.Expect(page.GetByLabel("Search datasets")).ToHaveValueAsync("ha noi");

        // The choice is remembered on the next pages.
        await page.GotoAsync($"/datasets/{Provinces}");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Preview", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Provincial administrative units");
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Find and use the ministry's data");

        await page.GetByRole(AriaRole.Link, new() { Name = "Tiếng Việt" }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Tìm kiếm và sử dụng dữ liệu của Bộ");
    }

    [Fact]
    public async Task A_first_visit_from_an_english_browser_is_in_english_with_english_number_formats()
    {
        await using var english = await Visit.StartAsync(platform, locale: "en-US");
        await using var vietnamese = await Visit.StartAsync(platform, locale: "vi-VN");

        await english.Page.GotoAsync($"/datasets/don-vi-hanh-chinh-cap-xa-2025");
        await vietnamese.Page.GotoAsync($"/datasets/don-vi-hanh-chinh-cap-xa-2025");

        await Assertions.Expect(english.Page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        // 3,321 communes: grouped with a comma in English and a dot in Vietnamese.
        await Assertions.Expect(english.Page.Locator(".meta-grid")).ToContainTextAsync("3,321");
        await Assertions.Expect(vietnamese.Page.Locator(".meta-grid")).ToContainTextAsync("3.321");
    }

    [Fact]
    public async Task An_anonymous_visitor_of_a_paid_dataset_is_told_what_is_needed_and_sees_no_row()
    {
        await using var visit = await Visit.StartAsync(platform);
        var page = visit.Page;

        foreach (var tab in new[] { "", "?tab=chart", "?tab=downloads" })
        {
            await page.GotoAsync($"/datasets/{Paid}{tab}");

            var needed = page.Locator("section.access-needed");
            await Assertions.Expect(needed).ToBeVisibleAsync();
            await Assertions.Expect(needed).ToContainTextAsync("gói dữ liệu trả phí");
            // The product and its monthly price in đồng, as billing lists it.
            await Assertions.Expect(needed.Locator(".product")).ToContainTextAsync(" đ mỗi tháng");
            Assert.Equal(0, await page.Locator("table.data-table").CountAsync());
            Assert.Equal(0, await page.Locator("svg.bar-chart").CountAsync());
            Assert.Equal(0, await page.Locator("a.download").CountAsync());
        }

        // The description and the schema stay public.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cấu trúc dữ liệu" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_chart_of_a_numeric_column_is_drawn_and_a_dataset_without_one_says_so()
    {
        await using var visit = await Visit.StartAsync(platform);
        var page = visit.Page;

        await page.GotoAsync("/datasets/chi-so-par-index-sipas?tab=chart");
        await Assertions.Expect(page.Locator("svg.bar-chart rect.bar").First).ToBeVisibleAsync();
        Assert.True(await page.Locator("svg.bar-chart rect.bar").CountAsync() >= 2);

        await page.GotoAsync($"/datasets/{Provinces}?tab=chart");
        await Assertions.Expect(page.Locator(".tab-panel .note")).ToContainTextAsync("không có cột số");
        Assert.Equal(0, await page.Locator("svg.bar-chart").CountAsync());
    }

    [Fact]
    public async Task The_preview_sorts_by_a_column_header_and_pages_onward_with_the_keyset_link()
    {
        await using var visit = await Visit.StartAsync(platform);
        var page = visit.Page;

        await page.GotoAsync("/datasets/don-vi-hanh-chinh-cap-xa-2025");
        var rows = page.Locator("table.data-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(50);
        // "code" is the first column: once ascending, once more descending.
        await page.Locator("table.data-table thead th").First.Locator("a").ClickAsync();
        await Assertions.Expect(page.Locator("th[aria-sort='ascending']")).ToContainTextAsync("code");
        await page.Locator("table.data-table thead th").First.Locator("a").ClickAsync();
        await Assertions.Expect(page.Locator("th[aria-sort='descending']")).ToContainTextAsync("code");
        var lastOfFirstPage = await rows.Last.Locator("td").First.InnerTextAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Các dòng tiếp theo" }).ClickAsync();

        await Assertions.Expect(rows).ToHaveCountAsync(50);
        var firstOfNextPage = await rows.First.Locator("td").First.InnerTextAsync();
        Assert.True(string.CompareOrdinal(firstOfNextPage, lastOfFirstPage) < 0, $"{firstOfNextPage} should come after {lastOfFirstPage} in descending order");
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PublicJourneyTests_Embedded(PortalEmbeddedFixture platform) : PublicJourneyTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PublicJourneyTests_Production(PortalProductionFixture platform) : PublicJourneyTests(platform);
