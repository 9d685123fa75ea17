using DataPlatform.Contracts.Access;

namespace DataPlatform.Billing.Tests.Accounts;

/// <summary>What the first start leaves behind: a demo key that works in embedded mode, and an admin.</summary>
public abstract class BootstrapTests(BillingPlatformFixture platform) : IAsyncLifetime
{
    readonly BillingDriver _billing = new(platform);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _billing.DisposeAsync().AsTask();

    [Fact]
    public async Task Embedded_mode_writes_a_working_demo_key_and_the_admin_sign_in_and_production_mode_does_not()
    {
        var demoFile = Path.Combine(platform.DataDirectory, "demo-api-key.txt");
        var adminFile = Path.Combine(platform.DataDirectory, "admin-sign-in.txt");
        if (platform.Backend == Backend.Production)
        {
            Assert.False(File.Exists(demoFile));
            Assert.False(File.Exists(adminFile));
            return;
        }

        var key = (await File.ReadAllTextAsync(demoFile)).Trim();
        Assert.True(ApiKeyFormat.IsWellFormed(key));
        var descriptor = await _billing.DescriptorAsync(key);
        Assert.Equal(ApiKeyStatus.Active, descriptor!.Status);
        Assert.Equal("developer", descriptor.Limits.PlanId);

        var lines = await File.ReadAllLinesAsync(adminFile);
        using var client = platform.CreateBillingClient();
        using var signIn = await client.PostAsync("/api/v1/account/sign-in", System.Net.Http.Json.JsonContent.Create(new { email = lines[0], password = lines[1] }));
        var session = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(signIn.Content);
        var adminDescriptor = await _billing.DescriptorAsync(session.GetProperty("key").GetString()!);
        Assert.Contains(Roles.Admin, adminDescriptor!.Roles);
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class BootstrapTests_Embedded(BillingEmbeddedFixture platform) : BootstrapTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class BootstrapTests_Production(BillingProductionFixture platform) : BootstrapTests(platform);
