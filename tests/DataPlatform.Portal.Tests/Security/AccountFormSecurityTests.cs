using System.Net;
using DataPlatform.Portal.Tests.Support;
using Microsoft.Playwright;

namespace DataPlatform.Portal.Tests.Security;

/// <summary>
/// Every account form carries an antiforgery token, and a POST without one is refused before it does anything: no
/// sign-in, no key. The session cookie is the portal's only credential, so another site must not be able to use it.
/// </summary>
public abstract class AccountFormSecurityTests(PortalPlatformFixture platform)
{
    [Fact]
    public async Task Every_account_form_carries_an_antiforgery_token()
    {
        var email = Accounts.UniqueEmail("form");
        await Accounts.OpenAsync(platform, email);
        await using var visit = await Visit.StartAsync(platform);
        var page = visit.Page;
        var missing = new List<string>();
        foreach (var path in new[] { "/account/signup", "/account/signin", "/account/forgot-password", "/account/reset-password?token=abc", "/account/confirm?token=abc" })
        {
            await page.GotoAsync(path);
            await CheckFormsAsync(page, path, missing);
        }

        await Accounts.SignInAsync(page, email);
        foreach (var path in new[] { "/account", "/account/keys", "/account/signout" })
        {
            await page.GotoAsync(path);
            await CheckFormsAsync(page, path, missing);
        }

        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing));
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_and_neither_signs_in_nor_makes_a_key()
    {
        var email = Accounts.UniqueEmail("csrf");
        await Accounts.OpenAsync(platform, email);
        await using var visit = await Visit.StartAsync(platform);
        var api = visit.Context.APIRequest;
        // The visitor has the page, and with it the antiforgery cookie; only the form's token is missing.
        await visit.Page.GotoAsync("/account/signin");

        var signIn = await api.PostAsync("/account/signin", new() { Form = FormOf(api, ("Email", email), ("Password", Accounts.Password)), MaxRedirects = 0 });
        Assert.Equal((int)HttpStatusCode.BadRequest, signIn.Status);
        Assert.DoesNotContain(await visit.Context.CookiesAsync(), c => c.Name == "dp_session");

        await Accounts.SignInAsync(visit.Page, email);
        var create = await api.PostAsync("/account/keys?handler=create", new() { Form = FormOf(api, ("Name", "từ trang khác")), MaxRedirects = 0 });
        Assert.Equal((int)HttpStatusCode.BadRequest, create.Status);
        await visit.Page.GotoAsync("/account/keys");
        await Assertions.Expect(visit.Page.Locator("#keys")).ToHaveCountAsync(0);
        await Assertions.Expect(visit.Page.Locator("main")).ToContainTextAsync("Chưa có khóa nào.");
    }

    static async Task CheckFormsAsync(IPage page, string path, List<string> missing)
    {
        var forms = page.Locator("form[method=post]");
        var count = await forms.CountAsync();
        for (var i = 0; i < count; i++)
        {
            if (await forms.Nth(i).Locator("input[name=__RequestVerificationToken]").CountAsync() != 1)
            {
                missing.Add($"{path}: form {i} ({await forms.Nth(i).GetAttributeAsync("action")}) has no antiforgery token");
            }
        }
    }

    static IFormData FormOf(IAPIRequestContext api, params (string Name, string Value)[] fields)
    {
        var form = api.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class AccountFormSecurityTests_Embedded(PortalEmbeddedFixture platform) : AccountFormSecurityTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class AccountFormSecurityTests_Production(PortalProductionFixture platform) : AccountFormSecurityTests(platform);
