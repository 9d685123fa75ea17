using System.Globalization;
using System.Net;
using DataPlatform.Portal.Tests.Support;
using Microsoft.Playwright;

namespace DataPlatform.Portal.Tests.Account;

/// <summary>What a developer does on the portal, in a real browser: open an account, get a key, use it, see the use.</summary>
public abstract class AccountJourneyTests(PortalPlatformFixture platform)
{
    const string Open = "don-vi-hanh-chinh-cap-tinh-2025";
    const int ProgramCalls = 30;

    [Fact]
    public async Task A_developer_signs_up_confirms_signs_in_makes_a_key_calls_the_api_and_sees_the_calls_on_the_dashboard()
    {
        var email = Accounts.UniqueEmail("lan");
        await using var visit = await Visit.StartAsync(platform);
        var page = visit.Page;
        var addresses = new List<string>();
        page.Request += (_, request) => addresses.Add(request.Url);

        await page.GotoAsync("/account/signup");
        await page.GetByLabel("Họ và tên").FillAsync("Trần Thị Lan");
        await page.GetByLabel("Địa chỉ e-mail").FillAsync(email);
        await page.GetByLabel("Mật khẩu mới").FillAsync(Accounts.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Tạo tài khoản" }).ClickAsync();
        await Assertions.Expect(page.Locator("main [role=status]")).ToContainTextAsync(email);

        // The link in the mail opens the portal's page, whose button confirms the address.
        var link = await Accounts.MailLinkAsync(platform, email, Accounts.ConfirmationPage());
        await page.GotoAsync(new Uri(link).PathAndQuery);
        await page.GetByRole(AriaRole.Button, new() { Name = "Xác nhận địa chỉ" }).ClickAsync();
        await Assertions.Expect(page.Locator("main [role=status]")).ToContainTextAsync("đã được xác nhận");

        await page.Locator("main").GetByRole(AriaRole.Link, new() { Name = "Đăng nhập" }).ClickAsync();
        await page.GetByLabel("Địa chỉ e-mail").FillAsync(email);
        await page.GetByLabel("Mật khẩu", new() { Exact = true }).FillAsync(Accounts.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Đăng nhập" }).ClickAsync();
        await page.WaitForURLAsync("**/account");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Tổng quan");
        await Assertions.Expect(page.Locator("header").GetByRole(AriaRole.Button, new() { Name = "Đăng xuất" })).ToBeVisibleAsync();
        var session = (await visit.Context.CookiesAsync()).Single(c => c.Name == "dp_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);

        await page.Locator("nav.account-nav").GetByRole(AriaRole.Link, new() { Name = "Khóa API" }).ClickAsync();
        await page.GetByLabel("Tên", new() { Exact = true }).FillAsync("báo cáo tuần");
        await page.GetByRole(AriaRole.Button, new() { Name = "Tạo khóa" }).ClickAsync();
        var key = (await page.Locator("#new-key").InnerTextAsync()).Trim();
        Assert.Matches("^dp_[A-Za-z0-9]{38}$", key);

        // A program calls the API with the key, through the gateway.
        using (var program = platform.CreateGatewayClient())
        {
            program.DefaultRequestHeaders.Add("X-Api-Key", key);
            for (var call = 0; call < ProgramCalls; call++)
            {
                using var response = await program.GetAsync($"/odata/{Open}/Records?$top=1");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await page.GotoAsync("/account/keys");
        var row = page.Locator("#keys tbody tr", new() { HasText = "báo cáo tuần" });
        await Assertions.Expect(row.Locator("td.last-used")).Not.ToHaveTextAsync("Chưa dùng");
        Assert.Equal(0, await page.Locator("#new-key").CountAsync());

        // The portal's own calls for this person count too, but only a handful so far: the ledger reaches the
        // program's calls only with them.
        var ledger = await Accounts.HarvestUntilAsync(platform, email, ProgramCalls);
        await page.GotoAsync("/account");
        var total = ParseVietnamese(await page.Locator("#usage-by-day tfoot td[data-total=requests]").InnerTextAsync());
        Assert.InRange(total, ledger, ledger + 20);
        var today = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).ToString("dd/MM/yyyy", CultureInfo.InvariantCulture);
        var todayRow = page.Locator("#usage-by-day tbody tr", new() { HasText = today });
        Assert.True(ParseVietnamese(await todayRow.Locator("td").First.InnerTextAsync()) >= ProgramCalls);
        await Assertions.Expect(page.Locator("svg.day-chart rect.bar[height]:not([height='0'])")).Not.ToHaveCountAsync(0);

        // Neither the key nor the password was ever in an address the browser asked for.
        Assert.NotEmpty(addresses);
        Assert.DoesNotContain(addresses, a => a.Contains(key, StringComparison.Ordinal) || Uri.UnescapeDataString(a).Contains(Accounts.Password, StringComparison.Ordinal));
        Assert.DoesNotContain(addresses, a => a.Contains(Uri.EscapeDataString(Accounts.Password), StringComparison.Ordinal));

        // Signing out ends the session: the dashboard asks to sign in again.
        await page.Locator("header").GetByRole(AriaRole.Button, new() { Name = "Đăng xuất" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await page.GotoAsync("/account");
        await page.WaitForURLAsync("**/account/signin");
        Assert.DoesNotContain(await visit.Context.CookiesAsync(), c => c.Name == "dp_session");
    }

    [Fact]
    public async Task A_developer_rotates_and_revokes_keys_and_a_revoked_key_stops_working()
    {
        var email = Accounts.UniqueEmail("xoay");
        await Accounts.OpenAsync(platform, email);
        await using var visit = await Visit.StartAsync(platform, javaScript: false);
        var page = visit.Page;
        await Accounts.SignInAsync(page, email);

        await page.GotoAsync("/account/keys");
        await page.GetByLabel("Tên", new() { Exact = true }).FillAsync("ứng dụng di động");
        await page.GetByRole(AriaRole.Button, new() { Name = "Tạo khóa" }).ClickAsync();
        var first = (await page.Locator("#new-key").InnerTextAsync()).Trim();
        await page.GetByRole(AriaRole.Button, new() { Name = "Xoay vòng khóa “ứng dụng di động”" }).ClickAsync();
        var second = (await page.Locator("#new-key").InnerTextAsync()).Trim();

        Assert.NotEqual(first, second);
        var rows = page.Locator("#keys tbody tr", new() { HasText = "ứng dụng di động" });
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Filter(new() { HasText = "Đã xoay vòng" })).ToHaveCountAsync(1);

        // Revoke the successor: its row's revoke button is the one whose key has no successor.
        await rows.Filter(new() { HasNotText = "Đã xoay vòng" }).GetByRole(AriaRole.Button, new() { Name = "Thu hồi khóa “ứng dụng di động”" }).ClickAsync();
        await page.WaitForURLAsync("**/account/keys?done=revoked");
        await Assertions.Expect(page.Locator("main [role=status]")).ToContainTextAsync("đã bị thu hồi");
        await Assertions.Expect(rows.Filter(new() { HasText = "Đã thu hồi" })).ToHaveCountAsync(1);

        // Billing tells every gateway at once; the gateway drops its copy when the message arrives.
        using var program = platform.CreateGatewayClient();
        program.DefaultRequestHeaders.Add("X-Api-Key", second);
        var status = HttpStatusCode.OK;
        for (var attempt = 0; attempt < 20 && status != HttpStatusCode.Forbidden; attempt++)
        {
            using var refused = await program.GetAsync($"/odata/{Open}/Records?$top=1");
            status = refused.StatusCode;
            await Task.Delay(status == HttpStatusCode.Forbidden ? 0 : 100);
        }

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task A_developer_who_forgot_the_password_sets_a_new_one_through_the_mailed_link_and_signs_in_with_it()
    {
        var email = Accounts.UniqueEmail("quen");
        const string NewPassword = "một-mật-khẩu-mới-hẳn";
        await Accounts.OpenAsync(platform, email);
        await using var visit = await Visit.StartAsync(platform);
        var page = visit.Page;

        await page.GotoAsync("/account/signin");
        await page.GetByRole(AriaRole.Link, new() { Name = "Quên mật khẩu?" }).ClickAsync();
        await page.GetByLabel("Địa chỉ e-mail").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Gửi liên kết" }).ClickAsync();
        await Assertions.Expect(page.Locator("main [role=status]")).ToContainTextAsync(email);

        var link = await Accounts.MailLinkAsync(platform, email, Accounts.ResetPage());
        await page.GotoAsync(new Uri(link).PathAndQuery);
        await page.GetByLabel("Mật khẩu mới", new() { Exact = true }).FillAsync(NewPassword);
        await page.GetByLabel("Nhập lại mật khẩu mới").FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Lưu mật khẩu mới" }).ClickAsync();
        await Assertions.Expect(page.Locator("main [role=status]")).ToContainTextAsync("Mật khẩu đã được đổi");

        // The link works once.
        await page.GotoAsync(new Uri(link).PathAndQuery);
        await page.GetByLabel("Mật khẩu mới", new() { Exact = true }).FillAsync("lại-một-mật-khẩu-khác");
        await page.GetByLabel("Nhập lại mật khẩu mới").FillAsync("lại-một-mật-khẩu-khác");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lưu mật khẩu mới" }).ClickAsync();
        await Assertions.Expect(page.Locator("main [role=alert]")).ToContainTextAsync("đã được dùng");

        await Accounts.SignInAsync(page, email, NewPassword);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Tổng quan");
    }

    [Fact]
    public async Task A_wrong_password_is_refused_in_the_page_language_without_saying_which_part_was_wrong()
    {
        var email = Accounts.UniqueEmail("sai");
        await Accounts.OpenAsync(platform, email);
        await using var visit = await Visit.StartAsync(platform, locale: "en-GB");
        var page = visit.Page;

        await page.GotoAsync("/account/signin");
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("not the password at all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Assertions.Expect(page.Locator("main [role=alert]")).ToContainTextAsync("The e-mail address or the password is wrong.");
        Assert.EndsWith("/account/signin", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        Assert.DoesNotContain(await visit.Context.CookiesAsync(), c => c.Name == "dp_session");
        // The password typed is not written back into the page.
        Assert.DoesNotContain("not the password at all", await page.ContentAsync(), StringComparison.Ordinal);
    }

    static long ParseVietnamese(string number) => long.Parse(number.Trim(), NumberStyles.AllowThousands, CultureInfo.GetCultureInfo("vi-VN"));
}

[Collection(EmbeddedCollection.Name)]
public sealed class AccountJourneyTests_Embedded(PortalEmbeddedFixture platform) : AccountJourneyTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class AccountJourneyTests_Production(PortalProductionFixture platform) : AccountJourneyTests(platform);
