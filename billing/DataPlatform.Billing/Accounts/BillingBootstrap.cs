using System.Security.Cryptography;
using DataPlatform.Billing.ApiKeys;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Accounts;

/// <summary>
/// Creates the first admin from configuration, and in embedded mode (no PostgreSQL configured) generates one and a
/// demo developer account with a key, writing both to files in the data directory that the launcher's banner shows.
/// </summary>
sealed partial class BillingBootstrap(
    AccountStore accounts, ApiKeyStore keys, SubscriptionStore subscriptions, IOptions<PlatformOptions> platform,
    IOptions<AdminOptions> admin, ILogger<BillingBootstrap> logger)
{
    public const string DemoAccountId = "acct_demo";
    public const string DemoKeyFile = "demo-api-key.txt";
    public const string AdminSignInFile = "admin-sign-in.txt";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await EnsureAdminAsync(cancellationToken);
        if (platform.Value.UsesSqlite)
        {
            await EnsureDemoAsync(cancellationToken);
        }
    }

    async Task EnsureAdminAsync(CancellationToken cancellationToken)
    {
        if (await accounts.AnyUserWithRoleAsync(Roles.Admin, cancellationToken))
        {
            return;
        }

        var email = admin.Value.Email;
        var password = admin.Value.Password;
        var generated = false;
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(password))
        {
            if (!platform.Value.UsesSqlite)
            {
                LogNoAdmin(logger);
                return;
            }

            email = string.IsNullOrWhiteSpace(email) ? "admin@dataplatform.local" : email;
            password = RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 20);
            generated = true;
        }

        var (account, _, _) = await accounts.CreateAsync(new NewAccount(
            AccountKinds.Individual, "Quản trị nền tảng", null, email, "Administrator", password,
            [Roles.Owner, Roles.Admin, Roles.Publisher], EmailConfirmed: true), cancellationToken);
        await subscriptions.ChangePlanAsync(account.Id, "partner", cancellationToken);
        LogAdminCreated(logger, account.Id);

        if (generated)
        {
            var path = Path.Combine(platform.Value.DataDirectoryPath, AdminSignInFile);
            await WriteSecretFileAsync(path, $"{email}\n{password}\n", cancellationToken);
            Console.WriteLine($"First admin created: sign in as {email} with password {password} (also in {path}).");
        }
    }

    async Task EnsureDemoAsync(CancellationToken cancellationToken)
    {
        if (await accounts.FindAsync(DemoAccountId, cancellationToken) is not null)
        {
            return;
        }

        var password = RandomNumberGenerator.GetHexString(24, lowercase: true);
        var (account, owner, _) = await accounts.CreateAsync(new NewAccount(
            AccountKinds.Individual, "Demo developer", null, "demo@dataplatform.local", "Nhà phát triển thử nghiệm", password,
            [Roles.Owner], EmailConfirmed: true, Id: DemoAccountId), cancellationToken);
        await subscriptions.ChangePlanAsync(account.Id, "developer", cancellationToken);
        var (_, key) = await keys.CreateAsync(account.Id, owner.Id, "demo", ApiKeyKinds.Api, null, null, cancellationToken);

        var path = Path.Combine(platform.Value.DataDirectoryPath, DemoKeyFile);
        await WriteSecretFileAsync(path, key + "\n", cancellationToken);
        Console.WriteLine($"Demo developer account created. Its API key is {key} (also in {path}).");
    }

    static async Task WriteSecretFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, content, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first admin in account {AccountId}")]
    static partial void LogAdminCreated(ILogger logger, string accountId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No admin exists and Billing:Admin:Email and Billing:Admin:Password are not set; the admin API is unusable until they are")]
    static partial void LogNoAdmin(ILogger logger);
}
