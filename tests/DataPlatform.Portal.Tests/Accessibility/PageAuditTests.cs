using DataPlatform.Portal.Tests.Support;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;

namespace DataPlatform.Portal.Tests.Accessibility;

/// <summary>
/// Every page, in both languages, at a desktop and a phone width: axe finds no serious or critical WCAG problem,
/// and at 360 px nothing scrolls sideways (wide tables scroll inside their own box). The embedded run also writes
/// the screenshots that docs/portal.md shows.
/// </summary>
public abstract class PageAuditTests(PortalPlatformFixture platform)
{
    public static TheoryData<string, string?> Pages => new()
    {
        { "/", "home" },
        { "/datasets", null },
        { "/datasets?q=ha+noi", "search" },
        { "/datasets?access=open&sort=title&page=1", null },
        { "/datasets/don-vi-hanh-chinh-cap-xa-2025", "dataset-preview" },
        { "/datasets/don-vi-hanh-chinh-cap-tinh-2025?col=name&op=contains&val=ha", null },
        { "/datasets/chi-so-par-index-sipas?tab=chart", "dataset-chart" },
        { "/datasets/don-vi-hanh-chinh-cap-tinh-2025?tab=chart", null },
        { "/datasets/don-vi-hanh-chinh-cap-tinh-2025?tab=downloads", "dataset-downloads" },
        { "/datasets/chi-so-par-index-sipas?tab=api", "dataset-api" },
        { "/datasets/bien-che-cong-chuc-theo-tinh", "dataset-paid" },
        { "/docs", null },
        { "/datasets/no-such-dataset", "not-found" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_has_no_serious_accessibility_problem_and_no_sideways_scroll_in_either_language(string path, string? screenshot)
    {
        var problems = new List<string>();
        foreach (var locale in new[] { "vi-VN", "en-GB" })
        {
            foreach (var width in new[] { Visit.Desktop, Visit.Mobile })
            {
                await using var visit = await Visit.StartAsync(platform, width, locale);
                var page = visit.Page;
                await page.GotoAsync(path);

                var result = await page.RunAxe(new AxeRunOptions
                {
                    RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
                });
                problems.AddRange(result.Violations
                    .Where(v => v.Impact is "serious" or "critical")
                    .Select(v => $"{locale} {width}px {v.Id} ({v.Impact}): {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}"));

                if (width == Visit.Mobile)
                {
                    var widths = await page.EvaluateAsync<int[]>("() => [document.scrollingElement.scrollWidth, window.innerWidth]");
                    var (scrollWidth, innerWidth) = (widths[0], widths[1]);
                    if (scrollWidth > innerWidth)
                    {
                        problems.Add($"{locale} {width}px scrolls sideways: {scrollWidth} > {innerWidth}");
                    }
                }

                if (screenshot is not null && locale == "vi-VN" && platform.Backend == Backend.Embedded)
                {
                    if (screenshot.StartsWith("dataset-", StringComparison.Ordinal) && screenshot != "dataset-paid")
                    {
                        // The tab's content is what the screenshot is about; the page's head is in the first one.
                        await page.EvaluateAsync("() => window.scrollTo(0, document.querySelector('nav.tabs').offsetTop - 8)");
                    }

                    await Screenshots.TakeAsync(page, $"{screenshot}-{(width == Visit.Desktop ? "desktop" : "mobile")}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PageAuditTests_Embedded(PortalEmbeddedFixture platform) : PageAuditTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PageAuditTests_Production(PortalProductionFixture platform) : PageAuditTests(platform);
