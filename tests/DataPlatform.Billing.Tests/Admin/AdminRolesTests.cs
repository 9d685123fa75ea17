using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DataPlatform.Billing.Tests.Admin;

/// <summary>An admin's role change replaces the user's roles, and never leaves an account without an owner.</summary>
public abstract class AdminRolesTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    [Fact]
    public async Task Taking_owner_from_the_only_owner_is_refused_with_a_problem_and_changes_nothing()
    {
        var accountId = await _billing.CreateAccountAsync();
        var ownerId = (await _billing.UsersOfAsync(accountId)).EnumerateArray().Single().GetProperty("id").GetString();
        using var admin = _billing.Admin();

        using var response = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/users/{ownerId}/roles", new { roles = new[] { "publisher" } });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Contains("only owner", problem.GetProperty("detail").GetString());
        var roles = (await _billing.UsersOfAsync(accountId)).EnumerateArray().Single().GetProperty("roles").EnumerateArray().Select(r => r.GetString());
        Assert.Equal(["owner"], roles);
    }

    [Fact]
    public async Task The_list_replaces_the_roles_so_a_publisher_role_is_granted_by_listing_owner_with_it()
    {
        var accountId = await _billing.CreateAccountAsync();
        var ownerId = (await _billing.UsersOfAsync(accountId)).EnumerateArray().Single().GetProperty("id").GetString();
        using var admin = _billing.Admin();

        using var granted = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/users/{ownerId}/roles", new { roles = new[] { "owner", "publisher" } });
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        using var narrowed = await admin.PutAsJsonAsync($"/api/v1/admin/accounts/{accountId}/users/{ownerId}/roles", new { roles = new[] { "owner" } });
        Assert.Equal(HttpStatusCode.OK, narrowed.StatusCode);

        var roles = (await _billing.UsersOfAsync(accountId)).EnumerateArray().Single().GetProperty("roles").EnumerateArray().Select(r => r.GetString());
        Assert.Equal(["owner"], roles);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class AdminRolesTests_Embedded(BillingEmbeddedFixture platform) : AdminRolesTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class AdminRolesTests_Production(BillingProductionFixture platform) : AdminRolesTests(platform);
