using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DataPlatform.Catalog.Tests.GraphQL;

/// <summary>The GraphQL endpoint of the running platform's catalog, as any GraphQL client uses it.</summary>
public abstract class GraphQLEndpointTests(PlatformFixture platform)
{
    /// <summary>The introspection query that GraphiQL and graphql-js clients send.</summary>
    public const string IntrospectionQuery = """
        query IntrospectionQuery {
          __schema {
            queryType { name }
            mutationType { name }
            subscriptionType { name }
            types { ...FullType }
            directives { name description locations args { ...InputValue } }
          }
        }
        fragment FullType on __Type {
          kind name description
          fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
          inputFields { ...InputValue }
          interfaces { ...TypeRef }
          enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
          possibleTypes { ...TypeRef }
        }
        fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
        fragment TypeRef on __Type {
          kind name
          ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
        }
        """;

    public static async Task<(HttpStatusCode Status, JsonElement Body, string Raw)> PostAsync(HttpClient client, string query, object? variables = null, string accept = "application/graphql-response+json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        using var response = await client.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(raw).RootElement.Clone(), raw);
    }

    [Fact]
    public async Task The_standard_introspection_query_returns_the_schema()
    {
        using var client = platform.CreateCatalogClient();

        var (status, body, _) = await PostAsync(client, IntrospectionQuery);

        Assert.False(body.TryGetProperty("errors", out var errors), errors.ToString());
        Assert.Equal(HttpStatusCode.OK, status);
        var schema = body.GetProperty("data").GetProperty("__schema");
        Assert.Equal("Query", schema.GetProperty("queryType").GetProperty("name").GetString());
        var query = schema.GetProperty("types").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "Query");
        Assert.Contains("datasets", query.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_query_sent_with_GET_is_answered()
    {
        using var client = platform.CreateCatalogClient();

        var body = await client.GetFromJsonAsync<JsonElement>("/graphql?query=" + Uri.EscapeDataString("{ datasets { id title field } }"));

        Assert.Equal(JsonValueKind.Array, body.GetProperty("data").GetProperty("datasets").ValueKind);
    }

    [Fact]
    public async Task A_document_posted_as_application_graphql_is_answered()
    {
        using var client = platform.CreateCatalogClient();

        using var response = await client.PostAsync("/graphql", new StringContent("{ __type(name: \"Dataset\") { name } }", Encoding.UTF8, "application/graphql"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Dataset", body.GetProperty("data").GetProperty("__type").GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_GET_takes_variables_and_the_operation_name_and_answers_in_the_media_type_the_client_accepts()
    {
        using var client = platform.CreateCatalogClient();
        var document = Uri.EscapeDataString("query A { __typename } query B($name: String!) { __type(name: $name) { name kind } }");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/graphql?query={document}&operationName=B&variables={Uri.EscapeDataString("{\"name\":\"Query\"}")}");
        request.Headers.Accept.ParseAdd("application/graphql-response+json");
        using var invalid = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString("{ datasets { colour } }"));
        invalid.Headers.Accept.ParseAdd("application/graphql-response+json");
        using var badVariables = new HttpRequestMessage(HttpMethod.Get, $"/graphql?query={document}&operationName=B&variables=%7Bnot-json");

        using var response = await client.SendAsync(request);
        using var refused = await client.SendAsync(invalid);
        using var malformed = await client.SendAsync(badVariables);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/graphql-response+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("OBJECT", body.GetProperty("data").GetProperty("__type").GetProperty("kind").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/graphql-response+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("variables", (await malformed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_unknown_field_is_an_error_with_its_location()
    {
        using var client = platform.CreateCatalogClient();

        var (status, body, _) = await PostAsync(client, "{\n  datasets {\n    colour\n  }\n}");
        var (legacyStatus, legacy, _) = await PostAsync(client, "{ datasets { colour } }", accept: "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = body.GetProperty("errors")[0];
        Assert.Contains("colour", error.GetProperty("message").GetString());
        Assert.Equal(3, error.GetProperty("locations")[0].GetProperty("line").GetInt32());
        Assert.Equal(5, error.GetProperty("locations")[0].GetProperty("column").GetInt32());
        Assert.Equal(HttpStatusCode.OK, legacyStatus);
        Assert.True(legacy.TryGetProperty("errors", out var _));
    }

    [Fact]
    public async Task A_document_nested_deeper_than_the_limit_is_refused()
    {
        using var client = platform.CreateCatalogClient();
        var deep = "{ __schema { types { fields { type " + string.Concat(Enumerable.Repeat("{ ofType ", 14)) + "{ name }" + new string('}', 14) + " } } } }";

        var (status, body, _) = await PostAsync(client, deep);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("depth", body.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_syntax_error_is_a_400_with_its_location()
    {
        using var client = platform.CreateCatalogClient();

        var (status, body, _) = await PostAsync(client, "{ datasets { id ");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("errors")[0].TryGetProperty("locations", out var _));
    }

    [Theory]
    [InlineData("text/plain", "{ datasets { id } }", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", "{ not json", HttpStatusCode.BadRequest)]
    [InlineData("application/json", "{\"variables\": {}}", HttpStatusCode.BadRequest)]
    public async Task A_malformed_request_is_a_4xx_with_an_errors_array(string contentType, string content, HttpStatusCode expected)
    {
        using var client = platform.CreateCatalogClient();

        using var response = await client.PostAsync("/graphql", new StringContent(content, Encoding.UTF8, contentType));

        Assert.Equal(expected, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.NotEmpty(body.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task A_browser_gets_a_self_contained_IDE_page()
    {
        using var client = platform.CreateCatalogClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/graphql");
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");

        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<textarea id=\"query\"", html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("href=\"http", html);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class GraphQLEndpointTests_Embedded(CatalogEmbeddedFixture platform) : GraphQLEndpointTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class GraphQLEndpointTests_Production(CatalogProductionFixture platform) : GraphQLEndpointTests(platform);
