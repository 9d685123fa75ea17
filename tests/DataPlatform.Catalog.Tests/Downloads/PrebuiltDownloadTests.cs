using System.Globalization;
using System.Net;
using System.Text;
using DataPlatform.Contracts.Access;

namespace DataPlatform.Catalog.Tests.Downloads;

/// <summary>A publish builds the version's CSV file in the background, so the first download is already a file send.</summary>
public abstract class PrebuiltDownloadTests(CatalogPlatformFixture platform)
{
    async Task<string> PublishAsync(int rows, string access = "open")
    {
        var id = CatalogTestData.NewId("pre");
        var csv = new StringBuilder("ma,ten\n");
        for (var i = 0; i < rows; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i},Xã số {i} của tỉnh Điện Biên\n");
        }

        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(access: access,
            columns: [CatalogTestData.Column("ma", "integer", key: true), CatalogTestData.Column("ten", "string")]));
        await publisher.PublishOkAsync(id, csv.ToString());
        return id;
    }

    /// <summary>
    /// The cached CSV of <paramref name="id"/>'s first version, found by its digest file, or <c>null</c>. The digest is
    /// written just before the file is moved into place, so the file itself must be there too.
    /// </summary>
    string? CachedCsv(string id)
    {
        var downloads = Path.Combine(platform.DataDirectory, "downloads");
        return Directory.Exists(downloads)
            ? Directory.GetFiles(downloads, "data-escaped.csv.sha256", SearchOption.AllDirectories)
                .Where(f => File.ReadAllText(f).Contains($"{id}-v1.csv", StringComparison.Ordinal))
                .Select(f => f[..^".sha256".Length])
                .SingleOrDefault(File.Exists)
            : null;
    }

    async Task<string> CachedCsvEventuallyAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (CachedCsv(id) is { } file)
            {
                return file;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No CSV file of {id} was built after its publish.");
    }

    [Fact]
    public async Task A_published_version_has_its_CSV_file_ready_before_anyone_asks_for_it()
    {
        var id = await PublishAsync(rows: 50);

        var file = await CachedCsvEventuallyAsync(id);
        var built = File.GetLastWriteTimeUtc(file);
        using var client = platform.CreateGatewayClient();
        using var response = await client.GetAsync($"/api/v1/datasets/{id}/download.csv");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(await File.ReadAllBytesAsync(file), bytes);
        Assert.StartsWith("ma,ten\r\n0,Xã số 0 của tỉnh Điện Biên\r\n", Encoding.UTF8.GetString(bytes[3..]), StringComparison.Ordinal);
        // The download was served from the file built at publish time, not from a second build.
        Assert.Equal(new DateTimeOffset(built.AddTicks(-(built.Ticks % TimeSpan.TicksPerSecond)), TimeSpan.Zero), response.Content.Headers.LastModified);
        Assert.Equal(built, File.GetLastWriteTimeUtc(file));
    }

    [Fact]
    public async Task Downloads_that_arrive_while_the_publish_time_build_runs_get_the_complete_file_built_once()
    {
        var id = await PublishAsync(rows: 60_000);
        using var client = platform.CreateGatewayClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.GetAsync($"/api/v1/datasets/{id}/download.csv")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsByteArrayAsync()));
        var file = CachedCsv(id);
        Assert.NotNull(file);
        var cached = await File.ReadAllBytesAsync(file);
        Assert.All(bodies, body => Assert.Equal(cached, body));
        Assert.Equal(60_001, Encoding.UTF8.GetString(cached).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Single(responses.Select(r => r.Content.Headers.LastModified).Distinct());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file)!, "*.tmp"));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_restricted_version_is_built_ahead_for_its_entitled_users_without_becoming_visible_to_others()
    {
        var id = await PublishAsync(rows: 10, access: "restricted");

        var file = await CachedCsvEventuallyAsync(id);
        using var anonymous = platform.CreateGatewayClient();
        using var hidden = await anonymous.GetAsync($"/api/v1/datasets/{id}/download.csv");
        using var entitled = platform.Entitled(Entitlements.Dataset(id));

        await hidden.ProblemAsync(404);
        Assert.Equal(await File.ReadAllBytesAsync(file), await entitled.GetByteArrayAsync($"/api/v1/datasets/{id}/download.csv"));
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PrebuiltDownloadTests_Embedded(CatalogEmbeddedFixture platform) : PrebuiltDownloadTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PrebuiltDownloadTests_Production(CatalogProductionFixture platform) : PrebuiltDownloadTests(platform);
