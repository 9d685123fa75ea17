using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace DataPlatform.Catalog.Tests.Publishing;

/// <summary>A publisher posts a CSV and gets a versioned dataset with an API, whatever the file's dialect.</summary>
public abstract class PublishingTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task A_published_csv_round_trips_Vietnamese_text_and_keeps_leading_zeros()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());

        using var response = await publisher.PublishAsync(id, "code,name,population,density,census_day,capital\n01,Hà Nội,8587100,2598.5,2024-04-01,true\n79,Thành phố Hồ Chí Minh,9521800,4513.1,2024-04-01,false\n");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, result.GetProperty("version").GetInt32());
        Assert.Equal(2, result.GetProperty("rowCount").GetInt64());
        using var reader = platform.CreateGatewayClient();
        var page = await reader.JsonAsync($"/api/v1/datasets/{id}/rows");
        var rows = page.Rows().ToList();
        Assert.Equal("01", rows[0].GetProperty("code").GetString());
        Assert.Equal("Hà Nội", rows[0].GetProperty("name").GetString());
        Assert.Equal("Thành phố Hồ Chí Minh", rows[1].GetProperty("name").GetString());
        Assert.Equal(8587100, rows[0].GetProperty("population").GetInt64());
        Assert.Equal(2598.5m, rows[0].GetProperty("density").GetDecimal());
        Assert.Equal("2024-04-01", rows[0].GetProperty("census_day").GetString());
        Assert.True(rows[0].GetProperty("capital").GetBoolean());
        var dataset = await reader.JsonAsync($"/api/v1/datasets/{id}");
        var types = dataset.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString());
        Assert.Equal("string", types["code"]);
        Assert.Equal("integer", types["population"]);
        Assert.Equal("decimal", types["density"]);
        Assert.Equal("date", types["census_day"]);
        Assert.Equal("boolean", types["capital"]);
        Assert.Equal(2, dataset.GetProperty("rowCount").GetInt64());
    }

    [Fact]
    public async Task A_new_version_serves_its_first_query_with_planner_statistics()
    {
        // 300 rows of which 240 are in one province: a planner without statistics would guess a handful.
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        var csv = new StringBuilder("code,province\n");
        for (var i = 0; i < 300; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i:D4},{(i < 240 ? "Hà Nội" : "Huế " + i)}\n");
        }

        await publisher.PublishOkAsync(id, csv.ToString());

        var database = platform.Platform.Catalog!.Services.GetRequiredService<PlatformDatabase>();
        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        var table = (string)(await ScalarAsync(connection, "SELECT current_table FROM datasets WHERE id = @p", id))!;
        if (database.Provider == DatabaseProvider.PostgreSql)
        {
            var column = (string)(await ScalarAsync(connection,
                "SELECT attname FROM pg_attribute WHERE attrelid = @p::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum OFFSET 2 LIMIT 1",
                $"\"{table}\""))!;
            var plan = JsonDocument.Parse((string)(await ScalarAsync(connection,
                $"EXPLAIN (FORMAT JSON) SELECT * FROM \"{table}\" WHERE \"{column}\" = @p", "Hà Nội"))!);
            var estimate = plan.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
            Assert.InRange(estimate, 200, 280);
        }
        else
        {
            Assert.True(Convert.ToInt64(await ScalarAsync(connection, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = @p", table)) > 0);
        }
    }

    static async Task<object?> ScalarAsync(System.Data.Common.DbConnection connection, string sql, string value)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "p";
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return await command.ExecuteScalarAsync();
    }

    [Theory]
    [InlineData(';', true)]
    [InlineData('\t', false)]
    [InlineData(',', true)]
    public async Task The_delimiter_is_detected_and_a_BOM_is_accepted(char delimiter, bool bom)
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        var text = $"ma{delimiter}ten{delimiter}ghi_chu\r\n01{delimiter}Đà Nẵng{delimiter}\"có {delimiter} dấu phân cách, \"\"ngoặc kép\"\" và\r\nxuống dòng\"\r\n";
        var bytes = (bom ? new byte[] { 0xEF, 0xBB, 0xBF } : []).Concat(Encoding.UTF8.GetBytes(text)).ToArray();

        using var response = await publisher.PublishAsync(id, bytes);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var reader = platform.CreateGatewayClient();
        var row = (await reader.JsonAsync($"/api/v1/datasets/{id}/rows")).Rows().Single();
        Assert.Equal("01", row.GetProperty("ma").GetString());
        Assert.Equal("Đà Nẵng", row.GetProperty("ten").GetString());
        Assert.Equal($"có {delimiter} dấu phân cách, \"ngoặc kép\" và\r\nxuống dòng", row.GetProperty("ghi_chu").GetString());
    }

    [Fact]
    public async Task An_explicit_schema_overrides_inferred_types()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns: [CatalogTestData.Column("year", "string"), CatalogTestData.Column("amount", "decimal")]));

        await publisher.PublishOkAsync(id, "year,amount\n2024,5\n2025,7\n");

        var dataset = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        var types = dataset.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString());
        Assert.Equal("string", types["year"]);
        Assert.Equal("decimal", types["amount"]);
    }

    [Fact]
    public async Task A_failed_publish_leaves_the_previous_version_serving()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns: [CatalogTestData.Column("code", "string", key: true), CatalogTestData.Column("value", "integer")]));
        await publisher.PublishOkAsync(id, "code,value\na,1\nb,2\n");

        using var failed = await publisher.PublishAsync(id, "code,value\na,10\nb,twenty\nc,30\n");

        var problem = await failed.ProblemAsync(422);
        var error = problem.GetProperty("errors").EnumerateArray().Single();
        Assert.Equal(2, error.GetProperty("row").GetInt64());
        Assert.Equal(3, error.GetProperty("line").GetInt64());
        Assert.Equal("value", error.GetProperty("column").GetString());
        Assert.Equal("twenty", error.GetProperty("value").GetString());
        Assert.Contains("integer", error.GetProperty("reason").GetString());
        var dataset = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal(1, dataset.GetProperty("currentVersion").GetInt32());
        Assert.Single(dataset.GetProperty("versions").EnumerateArray());
        var rows = (await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}/rows")).Rows().Select(r => r.GetProperty("value").GetInt64());
        Assert.Equal([1L, 2L], rows);
    }

    [Fact]
    public async Task A_file_wider_than_the_column_limit_is_refused_with_the_limit_and_the_previous_version_keeps_serving()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        await publisher.PublishOkAsync(id, "code,value\na,1\n");

        using var failed = await publisher.PublishAsync(id, WideCsv(5000, rows: 2));

        var problem = await failed.ProblemAsync(400);
        Assert.Equal("/problems/too-many-columns", problem.GetProperty("type").GetString());
        Assert.Contains("5,000 columns", problem.GetProperty("detail").GetString());
        Assert.Contains("at most 1,000", problem.GetProperty("detail").GetString());
        Assert.Contains("Catalog:MaxColumns", problem.GetProperty("detail").GetString());
        using var reader = platform.CreateGatewayClient();
        var dataset = await reader.JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal(1, dataset.GetProperty("currentVersion").GetInt32());
        Assert.Single(dataset.GetProperty("versions").EnumerateArray());
        var row = Assert.Single((await reader.JsonAsync($"/api/v1/datasets/{id}/rows")).Rows());
        Assert.Equal("a", row.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_file_exactly_as_wide_as_the_column_limit_publishes_on_both_engines()
    {
        // Typed values and empty cells make each row as wide as a row of this many columns gets: the default
        // limit must fit in PostgreSQL's 8 kB row as well as under both engines' column counts.
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());

        using var response = await publisher.PublishAsync(id, WideCsv(1000, rows: 3, withEmptyCells: true));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dataset = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal(1000, dataset.GetProperty("columns").GetArrayLength());
        Assert.Equal(3, dataset.GetProperty("rowCount").GetInt64());
    }

    static string WideCsv(int columns, int rows, bool withEmptyCells = false)
    {
        var csv = new StringBuilder(string.Join(",", Enumerable.Range(1, columns).Select(i => $"c{i}"))).Append('\n');
        for (var row = 0; row < rows; row++)
        {
            csv.AppendJoin(",", Enumerable.Range(1, columns).Select(i => withEmptyCells && (i + row) % 7 == 0 ? "" : (1_000_000_000_000L * i + row).ToString(CultureInfo.InvariantCulture)));
            csv.Append('\n');
        }

        return csv.ToString();
    }

    [Fact]
    public async Task Duplicate_keys_are_refused_with_the_rows_that_repeat_them()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns: [CatalogTestData.Column("code", key: true)]));
        await publisher.PublishOkAsync(id, "code,name\n01,Một\n");

        using var response = await publisher.PublishAsync(id, "code,name\n01,Một\n02,Hai\n01,Lại một\n");

        var problem = await response.ProblemAsync(422);
        Assert.Equal("/problems/duplicate-keys", problem.GetProperty("type").GetString());
        var error = problem.GetProperty("errors").EnumerateArray().Single();
        Assert.Equal("01", error.GetProperty("value").GetString());
        Assert.Equal(3, error.GetProperty("row").GetInt64());
        Assert.Contains("first at row 1", error.GetProperty("reason").GetString());
        var dataset = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal(1, dataset.GetProperty("currentVersion").GetInt32());
        Assert.Equal(1, dataset.GetProperty("rowCount").GetInt64());
    }

    [Fact]
    public async Task Malformed_csv_is_refused_with_the_line_and_reason()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());

        using var response = await publisher.PublishAsync(id, "a,b\n1,2\n3,4,5\n6,x\"y\n");

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/malformed-csv", problem.GetProperty("type").GetString());
        var errors = problem.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal(3, errors[0].GetProperty("line").GetInt64());
        Assert.Contains("3 fields", errors[0].GetProperty("reason").GetString());
        Assert.Equal(4, errors[1].GetProperty("line").GetInt64());
        Assert.Contains("quote", errors[1].GetProperty("reason").GetString());
        await AssertNothingPublishedAsync(id);
    }

    [Fact]
    public async Task An_unclosed_quote_is_malformed()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());

        using var response = await publisher.PublishAsync(id, "a,b\n1,\"open\n2,3\n");

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/malformed-csv", problem.GetProperty("type").GetString());
        await AssertNothingPublishedAsync(id);
    }

    [Fact]
    public async Task A_legacy_Vietnamese_encoding_is_refused_with_a_clear_message()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        // "Hà Nội" in Windows-1258: à is 0xE0 and ộ is o + 0xF2 (combining dot below) + ... bytes that are not UTF-8.
        byte[] windows1258 = [.. "ma,ten\n01,H"u8, 0xE0, (byte)' ', (byte)'N', 0xF4, 0xF2, (byte)'i', (byte)'\n'];

        using var response = await publisher.PublishAsync(id, windows1258);

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/invalid-encoding", problem.GetProperty("type").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("not valid UTF-8", detail);
        Assert.Contains("line 2", detail);
        Assert.Contains("TCVN3", detail);
        await AssertNothingPublishedAsync(id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\uFEFF")]
    [InlineData("code,name\n")]
    public async Task An_empty_file_is_refused(string csv)
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());

        using var response = await publisher.PublishAsync(id, csv);

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/empty-file", problem.GetProperty("type").GetString());
        await AssertNothingPublishedAsync(id);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_file_over_the_size_limit_is_refused_with_413(bool sendLength)
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        var line = Encoding.UTF8.GetBytes("1,một dòng dữ liệu khá dài để làm đầy tệp\n");
        var body = new MemoryStream();
        body.Write("n,text\n"u8);
        while (body.Length <= CatalogPlatformFixture.UploadLimit)
        {
            body.Write(line);
        }

        body.Position = 0;
        HttpContent content = sendLength ? new ByteArrayContent(body.ToArray()) : new StreamContent(new UnknownLengthStream(body));
        content.Headers.ContentType = new("text/csv");
        using var response = await publisher.PostAsync($"/api/v1/datasets/{id}/versions", content);

        var problem = await response.ProblemAsync(413);
        Assert.Equal("/problems/file-too-large", problem.GetProperty("type").GetString());
        Assert.Contains(CatalogPlatformFixture.UploadLimit.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString());
        await AssertNothingPublishedAsync(id);
    }

    [Fact]
    public async Task A_declared_column_missing_from_the_file_is_refused()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns: [CatalogTestData.Column("ma_tinh", "string", key: true)]));

        using var response = await publisher.PublishAsync(id, "code,name\n01,Hà Nội\n");

        var problem = await response.ProblemAsync(422);
        Assert.Contains("ma_tinh", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Publishing_to_a_dataset_that_does_not_exist_is_404()
    {
        using var publisher = platform.Publisher();

        using var response = await publisher.PublishAsync(CatalogTestData.NewId(), "a\n1\n");

        var problem = await response.ProblemAsync(404);
        Assert.Contains("PUT", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Metadata_missing_mandatory_fields_is_refused_with_each_field_named()
    {
        var metadata = CatalogTestData.Metadata();
        metadata.Remove("licence");
        ((JsonObject)metadata["title"]!).Remove("en");
        metadata["contactPoint"] = null;
        using var publisher = platform.Publisher();

        using var response = await publisher.PutAsJsonAsync($"/api/v1/datasets/{CatalogTestData.NewId()}", metadata);

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/invalid-metadata", problem.GetProperty("type").GetString());
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("title.en", fields);
        Assert.Contains("licence.id", fields);
        Assert.Contains("licence.url", fields);
        Assert.Contains("contactPoint.email", fields);
    }

    [Theory]
    [InlineData("{\"accessLevel\": \"public\"}")]
    [InlineData("{ not json")]
    public async Task Metadata_that_is_not_valid_JSON_is_a_400_problem(string body)
    {
        using var publisher = platform.Publisher();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await publisher.PutAsync($"/api/v1/datasets/{CatalogTestData.NewId()}", content);

        await response.ProblemAsync(400);
    }

    [Fact]
    public async Task A_paid_dataset_must_name_its_product()
    {
        using var publisher = platform.Publisher();

        using var response = await publisher.PutAsJsonAsync($"/api/v1/datasets/{CatalogTestData.NewId()}", CatalogTestData.Metadata(access: "paid"));

        var problem = await response.ProblemAsync(400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("productId", out _));
    }

    [Theory]
    [InlineData("Hà-Nội")]
    [InlineData("UPPER")]
    [InlineData("a_b")]
    [InlineData("-leading")]
    [InlineData("double--hyphen")]
    [InlineData("x")]
    public async Task A_dataset_id_with_odd_characters_is_refused(string id)
    {
        using var publisher = platform.Publisher();

        using var response = await publisher.PutAsJsonAsync($"/api/v1/datasets/{Uri.EscapeDataString(id)}", CatalogTestData.Metadata());

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/invalid-dataset-id", problem.GetProperty("type").GetString());
        Assert.Contains("lowercase", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Inferred_types_come_from_the_whole_file_even_when_its_first_rows_mislead()
    {
        // The loader types columns from the first rows while the file streams in; values far past them that
        // do not fit must still give the types of the whole file, as if it had been read twice.
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        var csv = new StringBuilder("id,amount,later,name\n");
        const int rows = 30_000;
        for (var i = 1; i < rows; i++)
        {
            csv.Append(i).Append(',').Append(i % 97).Append(",,Tỉnh ").Append(i).Append('\n');
        }

        csv.Append(rows).Append(",12.5,7,Xã cuối\n");

        using var response = await publisher.PublishAsync(id, csv.ToString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var reader = platform.CreateGatewayClient();
        var dataset = await reader.JsonAsync($"/api/v1/datasets/{id}");
        var types = dataset.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString());
        Assert.Equal("integer", types["id"]);
        Assert.Equal("decimal", types["amount"]);
        Assert.Equal("integer", types["later"]);
        Assert.Equal(rows, dataset.GetProperty("rowCount").GetInt64());
        var first = (await reader.JsonAsync($"/api/v1/datasets/{id}/rows?limit=1")).Rows().Single();
        Assert.Equal(1m, first.GetProperty("amount").GetDecimal());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("later").ValueKind);
        var last = (await reader.JsonAsync($"/api/v1/datasets/{id}/rows?offset={rows - 1}&limit=1")).Rows().Single();
        Assert.Equal(12.5m, last.GetProperty("amount").GetDecimal());
        Assert.Equal(7, last.GetProperty("later").GetInt64());
        Assert.Equal("Xã cuối", last.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Datetimes_in_every_accepted_ISO_8601_shape_are_stored_as_the_same_instant_in_UTC()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns: [CatalogTestData.Column("n", "integer", key: true), CatalogTestData.Column("at", "datetime")]));
        string[] values =
        [
            "2025-07-01T08:30:00+07:00", "2025-07-01 01:30:00Z", "2025-07-01T01:30:00", "2025-07-01T01:30:00.0000000Z",
            "2025-06-30T20:30:00-05:00", "2025-07-01T01:30Z", "2025-07-01T11:00:00+09:30",
        ];

        await publisher.PublishOkAsync(id, "n,at\n" + string.Concat(values.Select((v, i) => $"{i + 1},{v}\n")));
        using var partial = await publisher.PublishAsync(id, "n,at\n1,2025-07-01T01:30:00.1234567+00:00\n2,2025-02-29T00:00:00Z\n3,2025-07-01T24:00:00Z\n");

        var rows = (await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}/rows")).Rows().ToList();
        Assert.Equal(values.Length, rows.Count);
        var expected = new DateTimeOffset(2025, 7, 1, 1, 30, 0, TimeSpan.Zero);
        Assert.All(rows, row => Assert.Equal(expected, DateTimeOffset.Parse(row.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture)));
        var problem = await partial.ProblemAsync(422);
        Assert.Equal(["2025-02-29T00:00:00Z", "2025-07-01T24:00:00Z"], problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("value").GetString()));
    }

    [Fact]
    public async Task Decimals_of_every_magnitude_and_sign_round_trip()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns: [CatalogTestData.Column("n", "integer", key: true), CatalogTestData.Column("amount", "decimal")]));
        string[] values = ["0", "-0.185", "1.50", "2598.5", "12345678.9", "100000000", "0.0001", "0.00001234", "-98765.4321", "3.14159265358979", "10000.0001"];

        await publisher.PublishOkAsync(id, "n,amount\n" + string.Concat(values.Select((v, i) => $"{i + 1},{v}\n")));

        var rows = (await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}/rows")).Rows().ToList();
        Assert.Equal(values.Length, rows.Count);
        for (var i = 0; i < values.Length; i++)
        {
            var expected = double.Parse(values[i], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, rows[i].GetProperty("amount").GetDouble(), 12);
        }
    }

    [Fact]
    public async Task A_bad_value_deep_in_a_large_file_is_reported_and_nothing_is_published()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns: [CatalogTestData.Column("code", "integer", key: true), CatalogTestData.Column("value", "integer")]));
        var csv = new StringBuilder("code,value\n");
        for (var i = 1; i <= 50_000; i++)
        {
            csv.Append(i).Append(',').Append(i == 45_000 ? "bốn mươi lăm nghìn" : (i * 3).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }

        using var response = await publisher.PublishAsync(id, csv.ToString());

        var problem = await response.ProblemAsync(422);
        var error = problem.GetProperty("errors").EnumerateArray().Single();
        Assert.Equal(45_000, error.GetProperty("row").GetInt64());
        Assert.Equal(45_001, error.GetProperty("line").GetInt64());
        Assert.Equal("bốn mươi lăm nghìn", error.GetProperty("value").GetString());
        await AssertNothingPublishedAsync(id);
    }

    [Fact]
    public async Task A_legacy_encoded_byte_deep_in_a_large_file_is_refused_and_nothing_is_published()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        var csv = new StringBuilder("code,name\n");
        for (var i = 1; i <= 60_000; i++)
        {
            csv.Append(i).Append(",Phường ").Append(i).Append('\n');
        }

        // Windows-1258 writes "Hà" as 48 E0: the E0 starts no valid UTF-8 character here.
        var bytes = Encoding.UTF8.GetBytes(csv.ToString()).Concat(new byte[] { (byte)'9', (byte)',', 0x48, 0xE0, (byte)'\n' }).ToArray();

        using var response = await publisher.PublishAsync(id, bytes);

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/invalid-encoding", problem.GetProperty("type").GetString());
        Assert.Contains("line 60,002", problem.GetProperty("detail").GetString());
        await AssertNothingPublishedAsync(id);
    }

    async Task AssertNothingPublishedAsync(string id)
    {
        var dataset = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal(0, dataset.GetProperty("currentVersion").GetInt32());
        Assert.Empty(dataset.GetProperty("versions").EnumerateArray());
    }

    /// <summary>A body whose length is unknown up front, so it goes chunked and only the stream's end tells the size.</summary>
    sealed class UnknownLengthStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class PublishingTests_Embedded(CatalogEmbeddedFixture platform) : PublishingTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PublishingTests_Production(CatalogProductionFixture platform) : PublishingTests(platform);
