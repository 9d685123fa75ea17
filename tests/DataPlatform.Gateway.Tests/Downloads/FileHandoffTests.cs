using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DataPlatform.AppHost;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Downloads;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.Downloads;

/// <summary>
/// The gateway sends the download files the catalog hands over from disk itself: with ranges and validators,
/// metered in bytes, and only from inside the downloads folder.
/// </summary>
public abstract class FileHandoffTests(PlatformFixture platform)
{
    // Several times the gateway's 64 KiB send chunk, so that whole files and ranges cross chunk boundaries.
    static readonly byte[] _content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i},Xã {i}\r\n")));

    async Task<(GatewayScenario Scenario, RunningGateway Gateway, string Folder)> StartAsync()
    {
        var scenario = await GatewayScenario.StartAsync(platform);
        var folder = Path.Combine(platform.DataDirectory, "handoff-" + scenario.Unique);
        var file = Path.Combine(folder, FileHandoff.DirectoryName, "table1", "public", "data.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file, _content);
        await File.WriteAllTextAsync(Path.Combine(folder, "secret.txt"), "not for the public");
        return (scenario, await scenario.StartGatewayInAsync(folder), folder);
    }

    [Fact]
    public async Task A_handed_over_file_is_sent_from_disk_with_ranges_and_validators_and_metered_in_bytes()
    {
        var (scenario, gateway, _) = await StartAsync();
        await using var _ = scenario;
        var dataset = await scenario.PublishDatasetAsync(AccessLevel.Open);
        var (key, descriptor) = await scenario.IssueKeyAsync(GatewayScenario.Plan(monthlyBytes: 10_000_000));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        var url = $"/api/v1/datasets/{dataset}/download.csv?handoff=table1/public/data.csv";

        using var whole = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(_content, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(_content.Length, whole.Content.Headers.ContentLength);
        Assert.Equal("\"handed-over\"", whole.Headers.ETag?.Tag);
        Assert.Equal("bytes", Assert.Single(whole.Headers.AcceptRanges));
        Assert.Equal(FileHandoff.OfferValue, whole.Headers.GetValues("X-Offered").Single());
        Assert.False(whole.Headers.Contains(FileHandoff.FileHeader));

        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, url);
        rangeRequest.Headers.Range = new RangeHeaderValue(100, 199);
        using var range = await client.SendAsync(rangeRequest);
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(_content[100..200], await range.Content.ReadAsByteArrayAsync());

        // A resumed transfer from the middle of the second chunk to the end.
        using var resumeRequest = new HttpRequestMessage(HttpMethod.Get, url);
        resumeRequest.Headers.Range = new RangeHeaderValue(100_000, null);
        using var resume = await client.SendAsync(resumeRequest);
        Assert.Equal(HttpStatusCode.PartialContent, resume.StatusCode);
        Assert.Equal(_content[100_000..], await resume.Content.ReadAsByteArrayAsync());

        // A browser asks for compression; the file still goes out as stored, so that its validators and digest hold.
        using var compressedRequest = new HttpRequestMessage(HttpMethod.Get, url);
        compressedRequest.Headers.AcceptEncoding.ParseAdd("gzip, br");
        using var uncompressed = await client.SendAsync(compressedRequest);
        Assert.Empty(uncompressed.Content.Headers.ContentEncoding);
        Assert.Equal(_content, await uncompressed.Content.ReadAsByteArrayAsync());

        using var beyondRequest = new HttpRequestMessage(HttpMethod.Get, url);
        beyondRequest.Headers.Range = new RangeHeaderValue(_content.Length, null);
        using var beyond = await client.SendAsync(beyondRequest);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"handed-over\""));
        using var notModified = await client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        // The sent bytes are what the plan's byte quota is charged with: the file twice, the 100-byte range and the
        // resumed tail (the 304 and the 416 carry no file bytes).
        var usage = RedisKeys.Usage(descriptor.ConsumerId, DateTimeOffset.UtcNow);
        await GatewayScenario.EventuallyAsync(
            async () => (long)await scenario.Database.HashGetAsync(usage, UsageField.Requests(null, "2xx")) == 4,
            TimeSpan.FromSeconds(10), "the downloads to be metered");
        Assert.Equal(2 * _content.Length + 100 + (_content.Length - 100_000), (long)await scenario.Database.HashGetAsync(usage, UsageField.Bytes(null, "2xx")));
    }

    [Fact]
    public async Task A_path_outside_the_downloads_folder_is_refused_and_nothing_of_it_is_sent()
    {
        var (scenario, gateway, folder) = await StartAsync();
        await using var _ = scenario;
        using var client = GatewayScenario.ClientFrom(gateway, GatewayScenario.UniqueLoopback());

        foreach (var path in new[] { "../secret.txt", "table1/../../secret.txt", Path.Combine(folder, "secret.txt"), "table1/public/missing.csv" })
        {
            using var response = await client.GetAsync($"/api/v1/datasets/any/download.csv?handoff={Uri.EscapeDataString(path)}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.DoesNotContain("not for the public", body, StringComparison.Ordinal);
            Assert.False(response.Headers.Contains(FileHandoff.FileHeader));
        }
    }

    [Fact]
    public async Task The_file_header_is_honoured_only_on_downloads_the_gateway_offered_and_never_reaches_a_client()
    {
        var (scenario, gateway, _) = await StartAsync();
        await using var _ = scenario;
        using var client = GatewayScenario.ClientFrom(gateway, GatewayScenario.UniqueLoopback());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/datasets/any/rows?handoff=table1/public/data.csv");
        request.Headers.Add(FileHandoff.OfferHeader, FileHandoff.OfferValue);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.False(response.Headers.Contains(FileHandoff.FileHeader));
        // The client's own offer header was dropped before the request reached the upstream.
        Assert.Equal("", response.Headers.GetValues("X-Offered").Single());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class FileHandoffTests_Embedded(EmbeddedPlatformFixture platform) : FileHandoffTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class FileHandoffTests_Production(ProductionPlatformFixture platform) : FileHandoffTests(platform);
