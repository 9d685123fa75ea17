using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataPlatform.ServiceDefaults.Health;

/// <summary>Ready when the service's database answers a trivial query.</summary>
sealed class DatabaseHealthCheck(PlatformDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{database.Provider} answers");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{database.Provider} does not answer", e);
        }
    }
}
