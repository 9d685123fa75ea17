using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace DataPlatform.Portal.Localization;

/// <summary>
/// The portal speaks Vietnamese by default and English on request. A visitor's choice is kept in a cookie; on a first
/// visit, without one, the browser's <c>Accept-Language</c> decides. Formatting follows the culture: vi-VN writes
/// <c>1.234.567</c> and <c>27/11/2026</c>.
/// </summary>
internal static class PortalLocalization
{
    public const string CookieName = "dp_lang";
    public const string SwitchParameter = "lang";

    public static readonly CultureInfo Vietnamese = CultureInfo.GetCultureInfo("vi-VN");
    public static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-GB");

    public static IServiceCollection AddPortalLocalization(this IServiceCollection services)
    {
        services.AddLocalization(options => options.ResourcesPath = "Resources");
        services.Configure<RequestLocalizationOptions>(options =>
        {
            options.DefaultRequestCulture = new RequestCulture(Vietnamese);
            options.SupportedCultures = [Vietnamese, English];
            options.SupportedUICultures = [Vietnamese, English];
            // A browser asking for "en-US" gets English, one asking for "vi" Vietnamese.
            options.FallBackToParentCultures = true;
            options.FallBackToParentUICultures = true;
            options.RequestCultureProviders =
            [
                new CookieRequestCultureProvider { CookieName = CookieName },
                new LanguageTagProvider(),
            ];
        });
        return services;
    }

    /// <summary>
    /// A link such as <c>?lang=en</c> on any page stores the choice and sends the visitor back to the same page
    /// without the parameter: a plain link, so the switch works without JavaScript and needs no form.
    /// </summary>
    public static WebApplication UseLanguageSwitch(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (!HttpMethods.IsGet(request.Method) || !request.Query.TryGetValue(SwitchParameter, out var value))
            {
                return next(context);
            }

            var culture = value.ToString() switch
            {
                "en" => English,
                "vi" => Vietnamese,
                _ => null,
            };
            if (culture is not null)
            {
                context.Response.Cookies.Append(
                    CookieName,
                    CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                    new CookieOptions
                    {
                        Expires = DateTimeOffset.UtcNow.AddYears(1),
                        HttpOnly = true,
                        SameSite = SameSiteMode.Lax,
                        Secure = request.IsHttps,
                        IsEssential = true,
                        Path = "/",
                    });
            }

            var rest = request.Query.Where(pair => pair.Key != SwitchParameter)
                .SelectMany(pair => pair.Value.Select(v => new KeyValuePair<string, string?>(pair.Key, v)));
            context.Response.Redirect(request.PathBase + request.Path + QueryString.Create(rest));
            return Task.CompletedTask;
        });
        return app;
    }

    /// <summary>The page's language as <c>&lt;html lang&gt;</c> wants it.</summary>
    public static string HtmlLang(CultureInfo culture) => culture.TwoLetterISOLanguageName;

    public static bool IsEnglish(CultureInfo culture) => culture.TwoLetterISOLanguageName == "en";

    /// <summary>
    /// Accept-Language for a first visit: the first of the browser's languages the portal speaks, by quality.
    /// ASP.NET's own provider stops at the first three entries, and a browser set to a third language then gets the default.
    /// </summary>
    sealed class LanguageTagProvider : RequestCultureProvider
    {
        public override Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext httpContext)
        {
            var languages = httpContext.Request.GetTypedHeaders().AcceptLanguage;
            foreach (var language in languages.OrderByDescending(l => l.Quality ?? 1))
            {
                var tag = language.Value.Value ?? "";
                if (tag.StartsWith("en", StringComparison.OrdinalIgnoreCase))
                {
                    return Task.FromResult<ProviderCultureResult?>(new ProviderCultureResult(English.Name));
                }

                if (tag.StartsWith("vi", StringComparison.OrdinalIgnoreCase))
                {
                    return Task.FromResult<ProviderCultureResult?>(new ProviderCultureResult(Vietnamese.Name));
                }
            }

            return NullProviderCultureResult;
        }
    }
}
