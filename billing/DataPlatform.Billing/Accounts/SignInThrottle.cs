using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using DataPlatform.Billing.Storage;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Accounts;

/// <summary>Limits on failed sign-ins, bound from <c>Billing:SignIn</c>. The defaults are ASP.NET Core Identity's lockout defaults.</summary>
sealed class SignInOptions
{
    public const string SectionName = "Billing:SignIn";

    /// <summary>Failed sign-ins in a row to one address before it is locked (Identity's MaxFailedAccessAttempts).</summary>
    [Range(1, 100)]
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>How long a locked address stays locked (Identity's DefaultLockoutTimeSpan).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Failed sign-ins from one client address, to any e-mail address, allowed per <see cref="ClientWindow"/>.</summary>
    [Range(1, 10_000)]
    public int MaxFailedAttemptsPerClient { get; set; } = 30;

    /// <summary>The fixed window over which a client's failed sign-ins are counted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ClientWindow { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// Counts failed sign-ins in the database, so every billing instance sees the same counts, per e-mail address (a
/// lockout after <see cref="SignInOptions.MaxFailedAttempts"/> failures in a row, as ASP.NET Core Identity locks a
/// user) and per client address (a fixed window, against one client trying many addresses). Addresses are counted by
/// their SHA-256 whether or not an account has them, so a lockout says nothing about who is registered.
/// </summary>
/// <remarks>
/// Identity's own lockout lives on its user store, and billing keeps users in its own tables through Dapper; these
/// two upserts do the same bookkeeping for them and for addresses no user has.
/// </remarks>
sealed class SignInThrottle(BillingDb db, IOptions<SignInOptions> options, TimeProvider time)
{
    /// <summary>How long the caller must wait, per client and per address; <c>null</c> when it may try now.</summary>
    public async Task<(TimeSpan? Client, TimeSpan? Email)> BlockedForAsync(string email, string? clientIp, CancellationToken cancellationToken)
    {
        var now = UnixTime.Of(time.GetUtcNow());
        var rows = await db.QueryAsync<FailureRow>(
            "SELECT subject, locked_until FROM sign_in_failures WHERE (subject = @emailSubject OR subject = @clientSubject) AND locked_until > @now",
            new { emailSubject = EmailSubject(email), clientSubject = clientIp is null ? null : ClientSubject(clientIp), now }, cancellationToken);
        TimeSpan? WaitFor(string subject) =>
            rows.FirstOrDefault(r => r.Subject == subject) is { LockedUntil: { } until } ? TimeSpan.FromSeconds(until - now) : null;
        return (clientIp is null ? null : WaitFor(ClientSubject(clientIp)), WaitFor(EmailSubject(email)));
    }

    /// <summary>Counts a failure against the address and the client; returns what is locked now.</summary>
    public async Task<(TimeSpan? Client, TimeSpan? Email)> RecordFailureAsync(string email, string? clientIp, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = UnixTime.Of(time.GetUtcNow());
        await db.InTransactionAsync(async (connection, transaction) =>
        {
            // In a row: the count only resets on success or when the lockout starts.
            await Dapper.SqlMapper.ExecuteAsync(connection, """
                INSERT INTO sign_in_failures (subject, failures, window_started_at, locked_until) VALUES (@subject, 1, @now, NULL)
                ON CONFLICT (subject) DO UPDATE SET failures = sign_in_failures.failures + 1
                """, new { subject = EmailSubject(email), now }, transaction);
            await Dapper.SqlMapper.ExecuteAsync(connection, """
                UPDATE sign_in_failures SET failures = 0, locked_until = @until WHERE subject = @subject AND failures >= @max
                """, new { subject = EmailSubject(email), until = now + (long)settings.LockoutDuration.TotalSeconds, max = settings.MaxFailedAttempts }, transaction);

            if (clientIp is not null)
            {
                // A fixed window: a failure after the window has passed starts a new one.
                var window = (long)settings.ClientWindow.TotalSeconds;
                await Dapper.SqlMapper.ExecuteAsync(connection, """
                    INSERT INTO sign_in_failures (subject, failures, window_started_at, locked_until) VALUES (@subject, 1, @now, NULL)
                    ON CONFLICT (subject) DO UPDATE SET
                        failures = CASE WHEN sign_in_failures.window_started_at <= @expired THEN 1 ELSE sign_in_failures.failures + 1 END,
                        window_started_at = CASE WHEN sign_in_failures.window_started_at <= @expired THEN @now ELSE sign_in_failures.window_started_at END
                    """, new { subject = ClientSubject(clientIp), now, expired = now - window }, transaction);
                await Dapper.SqlMapper.ExecuteAsync(connection, """
                    UPDATE sign_in_failures SET locked_until = window_started_at + @window WHERE subject = @subject AND failures >= @max
                    """, new { subject = ClientSubject(clientIp), window, max = settings.MaxFailedAttemptsPerClient }, transaction);
            }

            return true;
        }, cancellationToken);
        return await BlockedForAsync(email, clientIp, cancellationToken);
    }

    /// <summary>A successful sign-in clears the address's count, as Identity's ResetAccessFailedCount does.</summary>
    public Task ResetAsync(string email, CancellationToken cancellationToken) =>
        db.ExecuteAsync("DELETE FROM sign_in_failures WHERE subject = @subject", new { subject = EmailSubject(email) }, cancellationToken);

    static string EmailSubject(string email) =>
        "email:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AccountStore.NormalizeEmail(email))));

    static string ClientSubject(string clientIp) => "client:" + clientIp;

    sealed class FailureRow
    {
        public string Subject { get; set; } = "";
        public long? LockedUntil { get; set; }
    }
}
