using System.Net.Http.Json;
using System.Text.Json;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>
/// Datetimes are stored and compared in UTC, so the date parts OData offers (year, month, day, date) must be the
/// UTC ones on either database, whatever time zone the PostgreSQL server or connection string sets for the session.
/// </summary>
public abstract class SessionTimeZoneTests(PlatformFixture platform)
{
    [Fact]
    public async Task Date_parts_of_a_datetime_are_taken_in_UTC_even_when_the_database_session_is_in_another_time_zone()
    {
        // 20:00 UTC on New Year's Eve is already 03:00 on New Year's Day in Hà Nội (UTC+7), a time zone a ministry's
        // database server may well be set to.
        Person[] people =
        [
            new(1, "T1", "Giao thừa", "Hà Nội", 30, 1m, true, null, new DateTime(2024, 12, 31, 20, 0, 0), null),
            new(2, "T2", "Năm mới", "Hà Nội", 31, 2m, true, null, new DateTime(2025, 1, 1, 1, 0, 0), null),
        ];
        var dataset = await PeopleTable.CreateAsync(platform, people);
        var database = platform.Platform.Options.Database;
        var settings = string.IsNullOrWhiteSpace(database) ? null : new Dictionary<string, string?> { ["DataPlatform:Database"] = database + ";Timezone=Asia/Ho_Chi_Minh" };
        await using var catalog = await CatalogWithDatasets.StartAsync(platform, new TestDatasetRegistry(dataset), settings);
        using var client = catalog.Client();

        var byYear = await CodesAsync(client, $"/odata/{dataset.Id}/Records?$filter=year(registered) eq 2024&$select=code");
        var byDate = await CodesAsync(client, $"/odata/{dataset.Id}/Records?$filter=date(registered) eq 2024-12-31&$select=code");
        var byDay = await CodesAsync(client, $"/odata/{dataset.Id}/Records?$filter=month(registered) eq 12 and day(registered) eq 31&$select=code");
        var years = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records?$apply=compute(year(registered) as y)/groupby((y),aggregate($count as n))");
        var value = await client.GetFromJsonAsync<JsonElement>($"/odata/{dataset.Id}/Records('T1')?$select=registered");

        Assert.Equal(["T1"], byYear);
        Assert.Equal(["T1"], byDate);
        Assert.Equal(["T1"], byDay);
        Assert.Equal([(2024L, 1L), (2025L, 1L)], years.GetProperty("value").EnumerateArray().Select(g => (g.GetProperty("y").GetInt64(), g.GetProperty("n").GetInt64())));
        Assert.Equal("2024-12-31T20:00:00Z", value.GetProperty("registered").GetString());
    }

    static async Task<List<string>> CodesAsync(HttpClient client, string url) =>
        (await client.GetFromJsonAsync<JsonElement>(url)).GetProperty("value").EnumerateArray().Select(r => r.GetProperty("code").GetString()!).ToList();
}

[Collection(EmbeddedCollection.Name)]
public sealed class SessionTimeZoneTests_Embedded(CatalogEmbeddedFixture platform) : SessionTimeZoneTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class SessionTimeZoneTests_Production(CatalogProductionFixture platform) : SessionTimeZoneTests(platform);
