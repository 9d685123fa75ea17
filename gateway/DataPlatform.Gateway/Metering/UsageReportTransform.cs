using DataPlatform.Contracts.Metering;
using Yarp.ReverseProxy.Transforms;

namespace DataPlatform.Gateway.Metering;

/// <summary>What an upstream reported about a response (<see cref="UsageReport"/>), kept for metering.</summary>
sealed record UsageReportFeature(int OutcomeStatus, IReadOnlyList<string> Products);

/// <summary>
/// Takes the upstream's <see cref="UsageReport"/> off every proxied response, so no client sees it, and keeps what it
/// says for the policy step's metering: the outcome status a GraphQL answer stands for, and the products it read.
/// </summary>
sealed class UsageReportTransform : ResponseTransform
{
    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var headers = context.HttpContext.Response.Headers;
        if (headers.TryGetValue(UsageReport.Header, out var value))
        {
            headers.Remove(UsageReport.Header);
            if (UsageReport.TryParse(value.ToString(), out var status, out var products))
            {
                context.HttpContext.Features.Set(new UsageReportFeature(status, products));
            }
        }

        return ValueTask.CompletedTask;
    }
}
