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

    /// <summary>
    /// Contexts that did not come from the gateway just now, sent straight to an upstream: forged with another
    /// secret, a captured context with another consumer's payload spliced in, a captured one replayed after the
    /// validity window (30 s by default), and one dated ahead by more than the window. Each is refused with 401, and
    /// nothing is done as the consumer it names.
    /// </summary>
    [Theory]
    [InlineData("catalog", "forged")]
    [InlineData("catalog", "spliced")]
    [InlineData("catalog", "replayed")]
    [InlineData("catalog", "future")]
    [InlineData("billing", "forged")]
    [InlineData("billing", "spliced")]
    [InlineData("billing", "replayed")]
    [InlineData("billing", "future")]
    public async Task A_context_that_did_not_come_from_the_gateway_just_now_is_refused_and_never_acted_on(string upstream, string kind)
    {
        var id = "cc-" + kind + "-" + Guid.NewGuid().ToString("N")[..10];
        var now = DateTimeOffset.UtcNow;
        var header = kind switch
        {
            "forged" => ConsumerContextHeader.Sign(Publisher(now), "not-the-platform-secret-at-all-000"u8),
            "spliced" => Splice(
                ConsumerContextHeader.Sign(Publisher(now), "not-the-platform-secret-at-all-000"u8),
                ConsumerContextHeader.Sign(Context.Anonymous("203.0.113.9", now), platform.ConsumerContextSecret)),
            "replayed" => ConsumerContextHeader.Sign(Publisher(now - ConsumerContextHeader.DefaultMaxAge - TimeSpan.FromSeconds(5)), platform.ConsumerContextSecret),
            "future" => ConsumerContextHeader.Sign(Publisher(now + ConsumerContextHeader.DefaultMaxAge + TimeSpan.FromSeconds(5)), platform.ConsumerContextSecret),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        using var client = upstream == "catalog" ? platform.CreateCatalogClient() : platform.CreateBillingClient();
        // As a publisher, the catalog would create the dataset; as an administrator, billing would list the accounts.
        using var request = upstream == "catalog"
            ? new HttpRequestMessage(HttpMethod.Put, $"/api/v1/datasets/{id}") { Content = JsonContent.Create(new { title = new { vi = id } }) }
            : new HttpRequestMessage(HttpMethod.Get, "/api/v1/admin/accounts");
        request.Headers.Add(ConsumerContextHeader.Name, header);

        using var response = await client.SendAsync(request);

        await AssertInvalidContextAsync(response);
        if (upstream == "catalog")
        {
            using var created = await client.GetAsync($"/api/v1/datasets/{id}");
            Assert.Equal(HttpStatusCode.NotFound, created.StatusCode);
        }
    }

    /// <summary>The payload of <paramref name="payloadFrom"/> under the signature of <paramref name="signatureFrom"/>.</summary>
    static string Splice(string payloadFrom, string signatureFrom) =>
        payloadFrom[..payloadFrom.LastIndexOf('.')] + signatureFrom[signatureFrom.LastIndexOf('.')..];

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
