using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.ApiKeys;

/// <summary>API keys as a developer uses them: where they may be sent, and what a bad one gets back.</summary>
public abstract class ApiKeyTests(PlatformFixture platform)
{
    [Theory]
    [InlineData("authorization")]
    [InlineData("x-api-key")]
    [InlineData("query")]
    [InlineData("ckanapi")]
    public async Task A_key_is_accepted_in_each_place_and_never_reaches_the_upstream(string place)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, descriptor) = await scenario.IssueKeyAsync();
        using var client = GatewayScenario.Client(gateway);
        var path = "/api/v1/datasets/any/rows?$filter=Name%20eq%20%27H%C3%A0%20N%E1%BB%99i%27&top=5";
        using var request = new HttpRequestMessage(HttpMethod.Get, place == "query" ? path + "&api_key=" + key : path);
        if (place == "authorization")
        {
            request.Headers.TryAddWithoutValidation("Authorization", "ApiKey " + key);
        }
        else if (place == "x-api-key")
        {
            request.Headers.Add("X-Api-Key", key);
        }
        else if (place == "ckanapi")
        {
            // ckanapi's prepare_action: the key bare in both headers.
            request.Headers.TryAddWithoutValidation("Authorization", key);
            request.Headers.Add("X-CKAN-API-Key", key);
        }

        using var response = await client.SendAsync(request);

        var echoed = await EchoedRequest.ReadAsync(response);
        Assert.Equal(descriptor.ConsumerId, echoed.Consumer);
        Assert.DoesNotContain("x-api-key", echoed.Headers);
        Assert.DoesNotContain("x-ckan-api-key", echoed.Headers);
        Assert.Equal("", echoed.Authorization);
        Assert.DoesNotContain(key, echoed.Query, StringComparison.Ordinal);
        Assert.DoesNotContain("api_key", echoed.Query, StringComparison.Ordinal);
        Assert.Equal("?$filter=Name%20eq%20%27H%C3%A0%20N%E1%BB%99i%27&top=5", echoed.Query);
    }

    [Theory]
    [InlineData("x-api-key")]
    [InlineData("authorization")]
    public async Task A_key_sent_in_a_header_and_the_query_at_once_reaches_the_upstream_in_neither(string header)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, descriptor) = await scenario.IssueKeyAsync();
        var (other, _) = await scenario.IssueKeyAsync();
        using var client = GatewayScenario.Client(gateway);
        // Power Query sends the query parameter; a proxy or script in between may add the header as well.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/datasets/any/rows?top=5&api_key={other}&API_KEY={other}");
        request.Headers.TryAddWithoutValidation(header == "authorization" ? "Authorization" : "X-Api-Key", header == "authorization" ? "ApiKey " + key : key);

        using var response = await client.SendAsync(request);

        var echoed = await EchoedRequest.ReadAsync(response);
        Assert.Equal(descriptor.ConsumerId, echoed.Consumer);
        Assert.Equal("?top=5", echoed.Query);
        Assert.DoesNotContain(other, echoed.Query, StringComparison.Ordinal);
        Assert.Equal("", echoed.Authorization);
        Assert.DoesNotContain("x-api-key", echoed.Headers);
        Assert.DoesNotContain("x-ckan-api-key", echoed.Headers);
    }

    [Fact]
    public async Task No_log_line_holds_a_key_even_with_every_category_at_trace()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var (key, _) = await scenario.IssueKeyAsync();
        var (revoked, _) = await scenario.IssueKeyAsync(status: ApiKeyStatus.Revoked);
        var unknown = ApiKeyFormat.Generate();
        var mistyped = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');
        // Every category the defaults quieten, at Trace; the request line of ASP.NET Core's hosting log stays off, as
        // the gateway ships it, because it is written before the key can be taken out.
        using var process = await GatewayProcess.StartAsync(
            scenario, Path.Combine(platform.DataDirectory, "trace-" + scenario.Unique),
            ("Logging:LogLevel:Default", "Trace"), ("Logging:LogLevel:Microsoft.AspNetCore", "Trace"), ("Logging:LogLevel:Yarp", "Trace"));
        using var client = PlatformFixture.OutsideClient(process.Url);

        foreach (var sent in new[] { key, revoked, unknown, mistyped })
        {
            using var byQuery = await client.GetAsync($"/odata/any/rows?top=1&api_key={sent}");
            using var request = new HttpRequestMessage(HttpMethod.Get, "/odata/any/rows?top=2");
            request.Headers.Add("X-Api-Key", sent);
            using var byHeader = await client.SendAsync(request);
        }

        // The log is on: it records where the served calls were proxied to (without their keys).
        await GatewayScenario.EventuallyAsync(
            () => Task.FromResult(process.Output.Contains("/odata/any/rows?top=1", StringComparison.Ordinal)
                && process.Output.Contains("/odata/any/rows?top=2", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "the proxied calls to be logged");
        var output = process.Output;
        Assert.All(new[] { key, revoked, unknown, mistyped }, sent => Assert.DoesNotContain(sent[ApiKeyFormat.Prefix.Length..], output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_without_a_key_reaches_the_upstream_as_anonymous()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);

        using var response = await client.GetAsync("/catalog/datasets");

        var echoed = await EchoedRequest.ReadAsync(response);
        Assert.Equal("anonymous", echoed.Consumer);
    }

    [Theory]
    [InlineData("dp_short")]
    [InlineData("xx_0123456789ABCDEFGHIJKLMNOPQRSTUVabcdef")]
    public async Task A_malformed_key_is_refused_with_401_before_any_lookup(string key)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        using var response = await client.GetAsync("/api/v1/datasets/any");

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(GatewayProblemTypes.MalformedApiKey, problem.GetProperty("type").GetString());
        Assert.DoesNotContain(key, problem.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_with_one_mistyped_character_fails_its_checksum()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, _) = await scenario.IssueKeyAsync();
        var typo = key[..10] + (key[10] == 'a' ? 'b' : 'a') + key[11..];
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", typo);

        using var response = await client.GetAsync("/api/v1/datasets/any");

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(GatewayProblemTypes.MalformedApiKey, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_well_formed_key_nobody_holds_gets_401_unknown()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKeyFormat.Generate());

        using var response = await client.GetAsync("/api/v1/datasets/any");

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(GatewayProblemTypes.UnknownApiKey, problem.GetProperty("type").GetString());
        Assert.Contains("No account holds this API key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ApiKeyStatus.Revoked, HttpStatusCode.Forbidden, GatewayProblemTypes.RevokedApiKey, "revoked")]
    [InlineData(ApiKeyStatus.Suspended, HttpStatusCode.PaymentRequired, GatewayProblemTypes.AccountSuspended, "non-payment")]
    public async Task A_key_that_no_longer_works_says_why(ApiKeyStatus status, HttpStatusCode expected, string type, string reason)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, _) = await scenario.IssueKeyAsync(status: status);
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        using var response = await client.GetAsync("/api/v1/datasets/any");

        var problem = await ProblemAsync(response, expected);
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Contains(reason, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_past_its_expiry_gets_403_expired()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, _) = await scenario.IssueKeyAsync(expiresAt: DateTimeOffset.UtcNow.AddMinutes(-1));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        using var response = await client.GetAsync("/api/v1/datasets/any");

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(GatewayProblemTypes.ExpiredApiKey, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_revocation_reaches_every_instance_within_a_second()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var first = await scenario.StartGatewayAsync(("Gateway:DescriptorCacheSeconds", "60"));
        var second = await scenario.StartGatewayAsync(("Gateway:DescriptorCacheSeconds", "60"));
        var (key, descriptor) = await scenario.IssueKeyAsync();
        using var one = GatewayScenario.Client(first);
        using var two = GatewayScenario.Client(second);
        one.DefaultRequestHeaders.Add("X-Api-Key", key);
        two.DefaultRequestHeaders.Add("X-Api-Key", key);
        // Both instances now hold the descriptor in their cache, for a minute.
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync("/api/v1/datasets/any")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync("/api/v1/datasets/any")).StatusCode);

        await scenario.WriteKeyAsync(key, descriptor with { Status = ApiKeyStatus.Revoked });

        await GatewayScenario.EventuallyAsync(
            async () => (await one.GetAsync("/api/v1/datasets/any")).StatusCode == HttpStatusCode.Forbidden
                && (await two.GetAsync("/api/v1/datasets/any")).StatusCode == HttpStatusCode.Forbidden,
            TimeSpan.FromSeconds(1), "both instances to refuse the revoked key");
    }

    internal static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class ApiKeyTests_Embedded(EmbeddedPlatformFixture platform) : ApiKeyTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class ApiKeyTests_Production(ProductionPlatformFixture platform) : ApiKeyTests(platform);
