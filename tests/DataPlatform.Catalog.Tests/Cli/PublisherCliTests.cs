using DataPlatform.Contracts.Access;
using DataPlatform.Publisher;

namespace DataPlatform.Catalog.Tests.Cli;

/// <summary>
/// The publisher's command-line tool prints a summary of the new version or the server's row errors. These
/// tests sign the consumer context the way the gateway does once it has checked the publisher's API key.
/// </summary>
public abstract class PublisherCliTests(CatalogPlatformFixture platform)
{
    [Fact]
    public async Task The_cli_publishes_a_file_with_its_metadata_and_prints_a_summary()
    {
        var id = CatalogTestData.NewId();
        var directory = Directory.CreateTempSubdirectory("dataplatform-cli-");
        var csv = Path.Combine(directory.FullName, "data.csv");
        var metadata = Path.Combine(directory.FullName, "metadata.json");
        await File.WriteAllTextAsync(csv, "ma,ten\n01,Hà Nội\n79,Hồ Chí Minh\n");
        await File.WriteAllTextAsync(metadata, CatalogTestData.Metadata().ToJsonString());
        var output = new StringWriter();

        var exit = await Command(output).RunAsync(new FileInfo(csv), id, new FileInfo(metadata), CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.Contains($"Published version 1 of {id}: 2 rows", output.ToString());
        var dataset = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal(2, dataset.GetProperty("rowCount").GetInt64());
        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task The_cli_prints_the_row_errors_of_a_failed_publish()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata(columns: [CatalogTestData.Column("so", "integer")]));
        var csv = Path.GetTempFileName();
        await File.WriteAllTextAsync(csv, "so\n1\nhai\n");
        var output = new StringWriter();

        var exit = await Command(output).RunAsync(new FileInfo(csv), id, null, CancellationToken.None);

        Assert.Equal(1, exit);
        var text = output.ToString();
        Assert.Contains("Publishing failed; the previous version is still served: 422", text);
        Assert.Contains("hai", text);
        Assert.Contains("expected an integer", text);
        File.Delete(csv);
    }

    [Fact]
    public async Task The_cli_prints_the_column_limit_when_a_file_is_too_wide()
    {
        var id = CatalogTestData.NewId();
        using var publisher = platform.Publisher();
        await publisher.CreateAsync(id, CatalogTestData.Metadata());
        var csv = Path.GetTempFileName();
        var width = Enumerable.Range(1, 5000).ToList();
        await File.WriteAllTextAsync(csv, string.Join(",", width.Select(i => $"c{i}")) + "\n" + string.Join(",", width) + "\n");
        var output = new StringWriter();

        var exit = await Command(output).RunAsync(new FileInfo(csv), id, null, CancellationToken.None);

        Assert.Equal(1, exit);
        var text = output.ToString();
        Assert.Contains("Publishing failed; the previous version is still served: 400", text);
        Assert.Contains("5,000 columns", text);
        Assert.Contains("at most 1,000", text);
        File.Delete(csv);
    }

    [Fact]
    public async Task Publishing_to_a_dataset_that_does_not_exist_uploads_nothing_and_says_how_to_create_it()
    {
        var id = CatalogTestData.NewId();
        var csv = Path.GetTempFileName();
        await File.WriteAllTextAsync(csv, "ma,ten\n01,Hà Nội\n");
        var output = new StringWriter();

        var exit = await Command(output).RunAsync(new FileInfo(csv), id, null, CancellationToken.None);

        Assert.Equal(1, exit);
        var text = output.ToString();
        Assert.Contains($"the dataset {id} does not exist, so nothing was uploaded", text);
        Assert.Contains("create --template", text);
        Assert.DoesNotContain("Publishing failed", text);
        File.Delete(csv);
    }

    [Fact]
    public async Task From_nothing_to_a_published_dataset_with_the_template_create_and_publish()
    {
        var id = CatalogTestData.NewId();
        var directory = Directory.CreateTempSubdirectory("dataplatform-cli-");
        var metadata = new FileInfo(Path.Combine(directory.FullName, "metadata.json"));
        var output = new StringWriter();

        Assert.Equal(0, await Create(output).WriteTemplateAsync(metadata, CancellationToken.None));
        var example = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(metadata.FullName)).RootElement;
        Assert.Equal("Bộ Nội vụ", example.GetProperty("publisher").GetProperty("name").GetString());
        Assert.Equal(2, await Create(output).WriteTemplateAsync(metadata, CancellationToken.None));

        var flags = new Dictionary<string, string> { ["title.vi"] = "Đơn vị hành chính thử nghiệm" };
        Assert.Equal(0, await Create(output).RunAsync(id, metadata, flags, CancellationToken.None));
        Assert.Equal(1, await Create(output).RunAsync(id, metadata, flags, CancellationToken.None));
        var csv = Path.Combine(directory.FullName, "provinces.csv");
        await File.WriteAllTextAsync(csv, "ma,ten\n01,Hà Nội\n79,Hồ Chí Minh\n");
        Assert.Equal(0, await Command(output).RunAsync(new FileInfo(csv), id, null, CancellationToken.None));

        var text = output.ToString();
        Assert.Contains($"Created the dataset {id}.", text);
        Assert.Contains($"the dataset {id} exists already", text);
        Assert.Contains($"Published version 1 of {id}: 2 rows", text);
        var dataset = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets/{id}");
        Assert.Equal("Đơn vị hành chính thử nghiệm", dataset.GetProperty("title").GetProperty("vi").GetString());
        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Creating_with_flags_that_leave_out_required_fields_names_them_and_points_at_the_template()
    {
        var id = CatalogTestData.NewId();
        var output = new StringWriter();

        var exit = await Create(output).RunAsync(id, null, new Dictionary<string, string> { ["title.vi"] = "Chỉ có tiêu đề" }, CancellationToken.None);

        Assert.Equal(1, exit);
        var text = output.ToString();
        Assert.Contains("Creating the dataset failed: 400", text);
        Assert.Contains("contactPoint.email", text);
        Assert.Contains("create --template metadata.json", text);
    }

    CreateCommand Create(TextWriter output) => new(platform.Platform.CatalogUrl, null, output, Signing());

    ConsumerContextSigningHandler Signing() =>
        new(PlatformFixture.Consumer("acct-cli", Roles.Publisher), platform.ConsumerContextSecret)
        {
            InnerHandler = new SocketsHttpHandler { ActivityHeadersPropagator = null },
        };

    PublishCommand Command(TextWriter output) => new(platform.Platform.CatalogUrl, null, output, Signing());
}

[Collection(EmbeddedCollection.Name)]
public sealed class PublisherCliTests_Embedded(CatalogEmbeddedFixture platform) : PublisherCliTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PublisherCliTests_Production(CatalogProductionFixture platform) : PublisherCliTests(platform);
