using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Downloads;
using MiniExcelLibs;
using ParquetSharp;
using Encoding = System.Text.Encoding;

namespace DataPlatform.Catalog.Tests.Downloads;

/// <summary>Datasets download in five formats; whole versions are cached, resumable and signed.</summary>
public abstract class DownloadTests(CatalogPlatformFixture platform)
{
    const string TypedCsv = "ma,ten,so,ty_le,dung,ngay,luc\n" +
        "01,Hà Nội,8435700,1.25,true,2024-01-31,2024-01-31T08:30:00Z\n" +
        "79,\"Hồ Chí Minh, thành phố\",9456700,-0.5,false,2023-12-01,2023-12-01T00:00:00Z\n" +
        "46,Huế,,,,,\n";

    static System.Text.Json.Nodes.JsonArray TypedColumns() =>
    [
        CatalogTestData.Column("ma", "string", key: true),
        CatalogTestData.Column("ten", "string"),
        CatalogTestData.Column("so", "integer"),
        CatalogTestData.Column("ty_le", "decimal"),
        CatalogTestData.Column("dung", "boolean"),
        CatalogTestData.Column("ngay", "date"),
        CatalogTestData.Column("luc", "datetime"),
    ];

    async Task<string> PublishTypedAsync(string access = "open", System.Text.Json.Nodes.JsonArray? columns = null, string csv = TypedCsv)
    {
        var id = CatalogTestData.NewId("dl");
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(access: access, columns: columns ?? TypedColumns()));
        await publisher.PublishOkAsync(id, csv);
        return id;
    }

    [Fact]
    public async Task A_whole_version_downloads_as_RFC_4180_CSV_with_a_byte_order_mark_that_Excel_needs()
    {
        var id = await PublishTypedAsync();
        using var client = platform.CreateGatewayClient();

        using var response = await client.GetAsync($"/api/v1/datasets/{id}/download.csv");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{id}-v1.csv", response.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        Assert.Equal(
            "ma,ten,so,ty_le,dung,ngay,luc\r\n" +
            "01,Hà Nội,8435700,1.25,true,2024-01-31,2024-01-31T08:30:00Z\r\n" +
            "79,\"Hồ Chí Minh, thành phố\",9456700,-0.5,false,2023-12-01,2023-12-01T00:00:00Z\r\n" +
            "46,Huế,,,,,\r\n",
            Encoding.UTF8.GetString(bytes[3..]));

        using var plain = await client.GetAsync($"/api/v1/datasets/{id}/download.csv?bom=false");
        var plainBytes = await plain.Content.ReadAsByteArrayAsync();
        Assert.Equal(bytes[3..], plainBytes);
        Assert.NotEqual(response.Headers.ETag, plain.Headers.ETag);
    }

    [Fact]
    public async Task NDJSON_and_JSON_keep_the_values_types()
    {
        var id = await PublishTypedAsync();
        using var client = platform.CreateGatewayClient();

        var lines = (await client.GetStringAsync($"/api/v1/datasets/{id}/download.ndjson")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var array = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/datasets/{id}/download.json")).RootElement;

        Assert.Equal(3, lines.Length);
        Assert.Equal(3, array.GetArrayLength());
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("Hà Nội", first.GetProperty("ten").GetString());
        Assert.Equal(8435700, first.GetProperty("so").GetInt64());
        Assert.Equal(1.25m, first.GetProperty("ty_le").GetDecimal());
        Assert.True(first.GetProperty("dung").GetBoolean());
        Assert.Equal("2024-01-31", first.GetProperty("ngay").GetString());
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(lines[2]).RootElement.GetProperty("so").ValueKind);
        Assert.Equal(lines[1], array[1].GetRawText());
    }

    [Fact]
    public async Task Parquet_has_typed_columns_with_min_max_statistics()
    {
        var id = await PublishTypedAsync();
        using var client = platform.CreateGatewayClient();
        var path = Path.Combine(platform.DataDirectory, id + ".parquet");
        await File.WriteAllBytesAsync(path, await client.GetByteArrayAsync($"/api/v1/datasets/{id}/download.parquet"));

        using var file = new ParquetFileReader(path);
        Assert.Equal(3, file.FileMetaData.NumRows);
        Assert.Equal(["ma", "ten", "so", "ty_le", "dung", "ngay", "luc"],
            Enumerable.Range(0, 7).Select(i => file.FileMetaData.Schema.Column(i).Name));
        using var group = file.RowGroup(0);
        Assert.Equal(["Hà Nội", "Hồ Chí Minh, thành phố", "Huế"], group.Column(1).LogicalReader<string>().ReadAll(3));
        Assert.Equal([8435700L, 9456700L, null], group.Column(2).LogicalReader<long?>().ReadAll(3));
        Assert.Equal([1.25m, -0.5m, null], group.Column(3).LogicalReader<decimal?>().ReadAll(3));
        Assert.Equal([true, false, null], group.Column(4).LogicalReader<bool?>().ReadAll(3));
        Assert.Equal(new Date(2024, 1, 31), group.Column(5).LogicalReader<Date?>().ReadAll(3)[0]);
        Assert.Equal(new DateTime(2024, 1, 31, 8, 30, 0), group.Column(6).LogicalReader<DateTime?>().ReadAll(3)[0]);

        var statistics = (Statistics<long>)group.MetaData.GetColumnChunkMetaData(2).Statistics!;
        Assert.True(statistics.HasMinMax);
        Assert.Equal(8435700, statistics.Min);
        Assert.Equal(9456700, statistics.Max);
        Assert.Equal(1, statistics.NullCount);
    }

    [Fact]
    public async Task XLSX_is_a_workbook_that_continues_on_more_sheets_past_the_row_limit()
    {
        var rows = CatalogPlatformFixture.XlsxRowsPerSheet * 2 + 10;
        var csv = new StringBuilder("ma,ten,so\n");
        for (var i = 0; i < rows; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i:D5},Xã số {i},{i}\n");
        }

        var id = await PublishTypedAsync(columns:
            [CatalogTestData.Column("ma", "string", key: true), CatalogTestData.Column("ten", "string"), CatalogTestData.Column("so", "integer")],
            csv: csv.ToString());
        using var client = platform.CreateGatewayClient();
        using var workbook = new MemoryStream(await client.GetByteArrayAsync($"/api/v1/datasets/{id}/download.xlsx"));

        Assert.Equal(["Data", "Data (2)", "Data (3)"], MiniExcel.GetSheetNames(workbook));
        var sheets = new[] { "Data", "Data (2)", "Data (3)" }
            .Select(name => MiniExcel.Query(workbook, useHeaderRow: true, sheetName: name).Cast<IDictionary<string, object>>().ToList())
            .ToList();
        Assert.Equal([1000, 1000, 10], sheets.Select(s => s.Count));
        Assert.Equal("Xã số 0", sheets[0][0]["ten"]);
        Assert.Equal(1000d, Convert.ToDouble(sheets[1][0]["so"], CultureInfo.InvariantCulture));
        Assert.Equal("Xã số 2009", sheets[2][9]["ten"]);
    }

    [Fact]
    public async Task A_filtered_download_uses_the_query_language_and_streams_compressed_when_accepted()
    {
        var id = await PublishTypedAsync();
        using var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = new Uri(platform.Platform.GatewayUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"/api/v1/datasets/{id}/download.csv?bom=false&columns=ten,so&$filter=so gt 9000000 or startswith(ten,'Hà')&$orderby=so desc");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        await using var gzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var text = new StreamReader(gzip, Encoding.UTF8);

        Assert.Equal("ten,so\r\n\"Hồ Chí Minh, thành phố\",9456700\r\nHà Nội,8435700\r\n", await text.ReadToEndAsync());
    }

    [Fact]
    public async Task Bad_requests_get_problem_details()
    {
        var id = await PublishTypedAsync();
        using var client = platform.CreateGatewayClient();

        using var format = await client.GetAsync($"/api/v1/datasets/{id}/download.txt");
        using var version = await client.GetAsync($"/api/v1/datasets/{id}/download.csv?version=7");
        using var filter = await client.GetAsync($"/api/v1/datasets/{id}/download.csv?$filter=khong_co eq 1");
        using var syntax = await client.GetAsync($"/api/v1/datasets/{id}/download.csv?$filter=so eq");
        using var signature = await client.GetAsync($"/api/v1/datasets/{id}/download.csv.jws?$filter=so gt 1");

        Assert.Equal("/problems/unknown-download-format", (await format.ProblemAsync(400)).GetProperty("type").GetString());
        Assert.Contains("no version 7", (await version.ProblemAsync(404)).GetProperty("detail").GetString());
        Assert.Contains("khong_co", (await filter.ProblemAsync(400)).GetProperty("detail").GetString());
        Assert.Equal("$filter", (await syntax.ProblemAsync(400)).GetProperty("target").GetString());
        await signature.ProblemAsync(400);
    }

    [Fact]
    public async Task An_older_version_downloads_with_its_own_rows()
    {
        var id = await PublishTypedAsync();
        using var publisher = platform.Publisher();
        await publisher.PublishOkAsync(id, "ma,ten,so,ty_le,dung,ngay,luc\n99,Mới,1,1,true,2025-01-01,2025-01-01T00:00:00Z\n");
        using var client = platform.CreateGatewayClient();

        var old = await client.GetStringAsync($"/api/v1/datasets/{id}/download.csv?version=1&bom=false");
        var current = await client.GetStringAsync($"/api/v1/datasets/{id}/download.csv?bom=false");

        Assert.Equal(4, old.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.EndsWith("99,Mới,1,1,true,2025-01-01,2025-01-01T00:00:00Z\r\n", current, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Downloads_of_restricted_data_are_audited_with_the_rows_they_carried()
    {
        var csv = new StringBuilder("ma,ten\n");
        for (var i = 0; i < 500; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i},Hộ số {i}\n");
        }

        var id = await PublishTypedAsync(access: "restricted", columns: [CatalogTestData.Column("ma", "integer", key: true), CatalogTestData.Column("ten", "string")],
            csv: csv.ToString());
        using var entitled = platform.Entitled(Entitlements.Dataset(id));
        using var admin = platform.CreateCatalogClient(PlatformFixture.Consumer("acct-admin", Roles.Admin));

        var whole = await entitled.GetStringAsync($"/api/v1/datasets/{id}/download.csv?bom=false");
        var filtered = await entitled.GetStringAsync($"/api/v1/datasets/{id}/download.csv?bom=false&$filter=ma lt 42");
        var json = await entitled.GetByteArrayAsync($"/api/v1/datasets/{id}/download.json?$filter=ma ge 490&$select=ten");
        var entries = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?datasetId={id}");

        Assert.Equal(501, whole.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(43, filtered.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(10, JsonDocument.Parse(json).RootElement.GetArrayLength());
        // Newest first: every download is in the log with the rows it carried, filtered ones included.
        Assert.Equal([10, 42, 500], entries.EnumerateArray().Select(e => e.GetProperty("rows").GetInt64()));
        Assert.All(entries.EnumerateArray(), e => Assert.Equal("download", e.GetProperty("frontDoor").GetString()));
        Assert.Contains("ma lt 42", Uri.UnescapeDataString(entries[1].GetProperty("query").GetString()!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_transfer_resumes_with_a_range_and_a_range_past_the_end_is_416()
    {
        var id = await PublishTypedAsync();
        using var client = platform.CreateGatewayClient();
        var whole = await client.GetByteArrayAsync($"/api/v1/datasets/{id}/download.csv");

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/v1/datasets/{id}/download.csv"));
        Assert.Equal(whole.Length, head.Content.Headers.ContentLength);
        Assert.Equal("bytes", Assert.Single(head.Headers.AcceptRanges));
        Assert.False(head.Headers.ETag!.IsWeak);
        Assert.NotNull(head.Content.Headers.LastModified);

        using var rest = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/datasets/{id}/download.csv");
        rest.Headers.Range = new RangeHeaderValue(40, null);
        rest.Headers.IfRange = new RangeConditionHeaderValue(head.Headers.ETag);
        using var partial = await client.SendAsync(rest);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(whole[40..], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal(whole.Length, partial.Content.Headers.ContentRange?.Length);

        using var beyond = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/datasets/{id}/download.csv");
        beyond.Headers.Range = new RangeHeaderValue(whole.Length + 10, null);
        using var unsatisfiable = await client.SendAsync(beyond);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
        Assert.Equal(whole.Length, unsatisfiable.Content.Headers.ContentRange?.Length);
    }

    [Fact]
    public async Task A_client_that_has_the_file_gets_304()
    {
        var id = await PublishTypedAsync();
        using var client = platform.CreateGatewayClient();
        using var first = await client.GetAsync($"/api/v1/datasets/{id}/download.parquet");

        using var byTag = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/datasets/{id}/download.parquet");
        byTag.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var byDate = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/datasets/{id}/download.parquet");
        byDate.Headers.IfModifiedSince = first.Content.Headers.LastModified;
        using var stale = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/datasets/{id}/download.parquet");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));

        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(byTag)).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(byDate)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(stale)).StatusCode);
    }

    [Fact]
    public async Task The_catalog_hands_a_whole_file_over_only_on_a_request_the_gateway_signed()
    {
        var id = await PublishTypedAsync();
        var url = $"/api/v1/datasets/{id}/download.csv";
        using var gateway = platform.CreateGatewayClient();
        var sent = await gateway.GetByteArrayAsync(url);

        using var signed = platform.CreateCatalogClient(PlatformFixture.Consumer("acct-" + Guid.NewGuid().ToString("N")[..8]));
        using var offered = new HttpRequestMessage(HttpMethod.Get, url);
        offered.Headers.Add(FileHandoff.OfferHeader, FileHandoff.OfferValue);
        using var handedOver = await signed.SendAsync(offered);
        Assert.Equal(HttpStatusCode.OK, handedOver.StatusCode);
        Assert.Empty(await handedOver.Content.ReadAsByteArrayAsync());
        var path = handedOver.Headers.GetValues(FileHandoff.FileHeader).Single();
        Assert.Equal(sent, await File.ReadAllBytesAsync(Path.Combine(platform.DataDirectory, FileHandoff.DirectoryName, path)));

        using var unsigned = platform.CreateCatalogClient();
        using var forged = new HttpRequestMessage(HttpMethod.Get, url);
        forged.Headers.Add(FileHandoff.OfferHeader, FileHandoff.OfferValue);
        using var itself = await unsigned.SendAsync(forged);
        Assert.False(itself.Headers.Contains(FileHandoff.FileHeader));
        Assert.Equal(sent, await itself.Content.ReadAsByteArrayAsync());

        using var through = await gateway.GetAsync(url);
        Assert.False(through.Headers.Contains(FileHandoff.FileHeader));
    }

    [Fact]
    public async Task Concurrent_first_requests_build_the_file_once()
    {
        var id = await PublishTypedAsync();
        using var client = platform.CreateGatewayClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync($"/api/v1/datasets/{id}/download.ndjson")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(responses.Select(r => r.Headers.ETag!.Tag).Distinct());
        Assert.Single(responses.Select(r => r.Content.Headers.LastModified).Distinct());
        var sidecar = Assert.Single(
            Directory.GetFiles(Path.Combine(platform.DataDirectory, "downloads"), "data.ndjson.sha256", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains($"{id}-v1.ndjson", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(sidecar)!, "*.tmp"));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_client_that_leaves_midway_leaves_no_broken_file_and_no_connection_holding_the_table()
    {
        var csv = new StringBuilder("ma,ten\n");
        for (var i = 0; i < 60_000; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i},Đơn vị hành chính cấp xã số {i} của tỉnh\n");
        }

        var id = await PublishTypedAsync(columns: [CatalogTestData.Column("ma", "integer", key: true), CatalogTestData.Column("ten", "string")], csv: csv.ToString());
        using var client = platform.CreateGatewayClient();

        // A whole-version download abandoned at once: the build goes on and the next caller gets a complete file.
        using (var leave = new CancellationTokenSource(TimeSpan.FromMilliseconds(20)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync($"/api/v1/datasets/{id}/download.xlsx", leave.Token));
        }

        var bytes = await client.GetByteArrayAsync($"/api/v1/datasets/{id}/download.xlsx");
        var digest = await client.GetStringAsync($"/api/v1/datasets/{id}/download.xlsx.sha256");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), digest.Split(' ')[0]);
        using (var workbook = new MemoryStream(bytes))
        {
            Assert.Equal(60_000, MiniExcel.GetSheetNames(workbook).Sum(sheet => MiniExcel.Query(workbook, useHeaderRow: true, sheetName: sheet).Count()));
        }

        // A filtered export abandoned after its first bytes: the query stops and its connection is returned, so the
        // dataset can be deleted (PostgreSQL's DROP TABLE would wait for a reader still holding the table).
        using (var response = await client.GetAsync($"/api/v1/datasets/{id}/download.json?$filter=ma ge 0", HttpCompletionOption.ResponseHeadersRead))
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            await stream.ReadExactlyAsync(new byte[4096]);
        }

        var sidecar = Assert.Single(
            Directory.GetFiles(Path.Combine(platform.DataDirectory, "downloads"), "data.xlsx.sha256", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains($"{id}-v1.xlsx", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(sidecar)!, "*.tmp"));
        using var publisher = platform.Publisher();
        using var delete = await publisher.DeleteAsync($"/api/v1/datasets/{id}").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }

    [Fact]
    public async Task Personal_columns_are_left_out_of_the_public_file_and_restricted_data_is_invisible()
    {
        var id = await PublishTypedAsync(columns:
            [CatalogTestData.Column("ma", "string", key: true), CatalogTestData.Column("ten", "string", sensitivity: "personal")],
            csv: "ma,ten\n1,Nguyễn Văn A\n");
        var restricted = await PublishTypedAsync(access: "restricted", columns: [CatalogTestData.Column("ma", "string", key: true)], csv: "ma\n1\n");
        using var anonymous = platform.CreateGatewayClient();
        using var entitled = platform.Entitled(Entitlements.Dataset(id), Entitlements.Dataset(restricted));

        Assert.Equal("ma\r\n1\r\n", await anonymous.GetStringAsync($"/api/v1/datasets/{id}/download.csv?bom=false"));
        Assert.Equal("ma,ten\r\n1,Nguyễn Văn A\r\n", await entitled.GetStringAsync($"/api/v1/datasets/{id}/download.csv?bom=false"));
        Assert.Equal("ma\r\n1\r\n", await anonymous.GetStringAsync($"/api/v1/datasets/{id}/download.csv?bom=false"));
        using var filtered = await anonymous.GetAsync($"/api/v1/datasets/{id}/download.csv?columns=ma,ten");
        await filtered.ProblemAsync(400);
        using var hidden = await anonymous.GetAsync($"/api/v1/datasets/{restricted}/download.csv");
        await hidden.ProblemAsync(404);
        Assert.Equal("ma\r\n1\r\n", await entitled.GetStringAsync($"/api/v1/datasets/{restricted}/download.csv?bom=false"));
    }

    [Fact]
    public async Task The_documented_openssl_commands_verify_a_download_and_catch_a_changed_byte()
    {
        var id = await PublishTypedAsync();
        var folder = Path.Combine(platform.DataDirectory, "verify-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var script = DocumentedVerification();

        var (ok, output) = await RunAsync(script, folder, id);
        Assert.True(ok, output);
        Assert.Contains($"{id}.csv: OK", output, StringComparison.Ordinal);
        Assert.Contains("Verified OK", output, StringComparison.Ordinal);

        // The same commands over a file changed by one byte, fetched no more: both checks fail.
        var tampered = script.Replace("curl -sf -o \"$F\" ", "true ", StringComparison.Ordinal);
        var file = Path.Combine(folder, id + ".csv");
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[^3] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes);
        var (stillOk, failure) = await RunAsync(tampered.Replace("| sha256sum -c", "| sha256sum -c || true", StringComparison.Ordinal), folder, id);
        Assert.False(stillOk, failure);
        Assert.Contains("FAILED", failure, StringComparison.Ordinal);
        Assert.Contains("Verification failure", failure, StringComparison.Ordinal);
    }

    /// <summary>The shell block between the verify markers of the README, exactly as users read it.</summary>
    static string DocumentedVerification()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "DataPlatform.sln")))
        {
            directory = directory.Parent;
        }

        var markdown = File.ReadAllText(Path.Combine(directory.FullName, "README.md"));
        var block = markdown[(markdown.IndexOf("<!-- verify:start -->", StringComparison.Ordinal) + "<!-- verify:start -->".Length)..markdown.IndexOf("<!-- verify:end -->", StringComparison.Ordinal)];
        return block.Trim().TrimStart('`').Replace("sh\n", "", StringComparison.Ordinal).TrimEnd('`');
    }

    async Task<(bool Ok, string Output)> RunAsync(string script, string folder, string datasetId)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["G"] = platform.Platform.GatewayUrl;
        start.Environment["D"] = datasetId;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode == 0, await stdout + await stderr);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class DownloadTests_Embedded(CatalogEmbeddedFixture platform) : DownloadTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class DownloadTests_Production(CatalogProductionFixture platform) : DownloadTests(platform);
