namespace DataPlatform.Catalog.Tests.Datasets;

/// <summary>
/// Query-string values are taken in the spelling the API itself writes, and a value an endpoint cannot take is
/// answered with a problem body that names the parameter and what it accepts.
/// </summary>
public abstract class QueryParameterTests(CatalogPlatformFixture platform)
{
    [Theory]
    [InlineData("open")]
    [InlineData("Open")]
    [InlineData("OPEN")]
    public async Task An_access_level_filter_takes_the_spelling_of_the_JSON_in_any_case(string spelling)
    {
        var word = CatalogTestData.NewWord();
        var open = CatalogTestData.NewId();
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(open, CatalogTestData.Metadata(titleVi: $"Mở {word}"));
            await publisher.CreateAsync(CatalogTestData.NewId(), CatalogTestData.Metadata(titleVi: $"Đăng ký {word}", access: "registered"));
        }

        var page = await platform.CreateGatewayClient().JsonAsync($"/api/v1/datasets?q={word}&accessLevel={spelling}");

        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(open, item.GetProperty("id").GetString());
        Assert.Equal("open", item.GetProperty("accessLevel").GetString());
    }

    [Theory]
    [InlineData("accessLevel=secret", "accessLevel", "open, registered, paid, restricted")]
    [InlineData("accessLevel=1", "accessLevel", "open, registered, paid, restricted")]
    [InlineData("limit=twenty", "limit", "whole number")]
    [InlineData("offset=1.5", "offset", "whole number")]
    public async Task A_value_the_search_cannot_take_gets_a_problem_naming_the_parameter(string query, string parameter, string accepted)
    {
        using var response = await platform.CreateGatewayClient().GetAsync("/api/v1/datasets?" + query);

        var problem = await response.ProblemAsync(400);
        Assert.Equal("/problems/invalid-query-parameter", problem.GetProperty("type").GetString());
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Contains(accepted, problem.GetProperty("detail").GetString());
        Assert.Contains(accepted, problem.GetProperty("errors").GetProperty(parameter)[0].GetString());
    }

    [Fact]
    public async Task A_bad_version_number_on_the_rows_endpoint_names_the_parameter()
    {
        var id = CatalogTestData.NewId();
        using (var publisher = platform.Publisher())
        {
            await publisher.CreateAsync(id, CatalogTestData.Metadata());
            await publisher.PublishOkAsync(id, "a\n1\n");
        }

        using var response = await platform.CreateGatewayClient().GetAsync($"/api/v1/datasets/{id}/rows?version=latest");

        var problem = await response.ProblemAsync(400);
        Assert.Equal("version", problem.GetProperty("parameter").GetString());
        Assert.Contains("whole number", problem.GetProperty("detail").GetString());
        Assert.False(problem.TryGetProperty("allowedValues", out _));
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class QueryParameterTests_Embedded(CatalogEmbeddedFixture platform) : QueryParameterTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class QueryParameterTests_Production(CatalogProductionFixture platform) : QueryParameterTests(platform);
