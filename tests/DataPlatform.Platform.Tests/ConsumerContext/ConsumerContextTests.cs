using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.Contracts.Problems;
using Context = DataPlatform.Contracts.ConsumerContext.ConsumerContext;

namespace DataPlatform.Platform.Tests.ConsumerContext;

/// <summary>Only the gateway can say who is calling; everything else is anonymous or refused.</summary>
public abstract class ConsumerContextTests(PlatformFixture platform)
{
    static Context Publisher(DateTimeOffset issuedAt) =>
        new("acct-forged", "acct-forged", ["admin", "publisher"], ["restricted-data"], "partner", "203.0.113.9", issuedAt);

    [Fact]
    public async Task A_context_forged_by_an_outside_client_has_no_effect()
    {
        using var client = platform.CreateGatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/account");
        // Even a context signed with the real secret is stripped: only the gateway's own reaches billing.
        request.Headers.Add(ConsumerContextHeader.Name, ConsumerContextHeader.Sign(Publisher(DateTimeOffset.UtcNow), platform.ConsumerContextSecret));
        request.Headers.Add("X-DataPlatform-Roles", "admin");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ProblemTypes.AuthenticationRequired, problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_upstream_trusts_a_context_signed_with_the_shared_secret()
    {
        using var client = platform.CreateBillingClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/account");
        request.Headers.Add(ConsumerContextHeader.Name, ConsumerContextHeader.Sign(Publisher(DateTimeOffset.UtcNow), platform.ConsumerContextSecret));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var caller = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("acct-forged", caller.GetProperty("accountId").GetString());
        Assert.Contains("publisher", caller.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task An_upstream_refuses_a_context_with_a_wrong_signature()
    {
        using var client = platform.CreateBillingClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/account");
        request.Headers.Add(ConsumerContextHeader.Name, ConsumerContextHeader.Sign(Publisher(DateTimeOffset.UtcNow), "not-the-platform-secret-at-all-000"u8));

        using var response = await client.SendAsync(request);

        await AssertInvalidContextAsync(response);
    }

    [Fact]
    public async Task An_upstream_refuses_a_context_older_than_a_minute()
    {
        using var client = platform.CreateCatalogClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Add(ConsumerContextHeader.Name, ConsumerContextHeader.Sign(Publisher(DateTimeOffset.UtcNow.AddSeconds(-90)), platform.ConsumerContextSecret));

        using var response = await client.SendAsync(request);

        await AssertInvalidContextAsync(response);
    }

    [Fact]
    public async Task An_upstream_treats_a_request_without_context_as_anonymous()
    {
        using var client = platform.CreateBillingClient();

        using var response = await client.GetAsync("/api/v1/account");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ProblemTypes.AuthenticationRequired, problem.GetProperty("type").GetString());
    }

    static async Task AssertInvalidContextAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ProblemTypes.InvalidConsumerContext, problem.GetProperty("type").GetString());
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class ConsumerContextTests_Embedded(EmbeddedPlatformFixture platform) : ConsumerContextTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class ConsumerContextTests_Production(ProductionPlatformFixture platform) : ConsumerContextTests(platform);
