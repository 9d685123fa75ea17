using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Yarp.ReverseProxy.Transforms;

namespace DataPlatform.Gateway.ConsumerContext;

/// <summary>
/// Removes every header in the gateway's reserved namespace from what the client sent, then adds the
/// consumer context the gateway established, signed. An outside client therefore cannot claim to be
/// anyone: whatever it puts in these headers never reaches an upstream.
/// </summary>
sealed class ConsumerContextTransform(ConsumerContextSecret secret, TimeProvider time) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        List<string>? reserved = null;
        foreach (var header in headers)
        {
            if (header.Key.StartsWith(ConsumerContextHeader.ReservedPrefix, StringComparison.OrdinalIgnoreCase))
            {
                (reserved ??= []).Add(header.Key);
            }
        }

        if (reserved is not null)
        {
            foreach (var name in reserved)
            {
                headers.Remove(name);
            }
        }

        var consumer = context.HttpContext.Features.Get<ConsumerFeature>()?.Consumer
            ?? Contracts.ConsumerContext.ConsumerContext.Anonymous(
                context.HttpContext.Connection.RemoteIpAddress?.ToString(), time.GetUtcNow());
        headers.TryAddWithoutValidation(ConsumerContextHeader.Name, ConsumerContextHeader.Sign(consumer, secret.Key));
        return ValueTask.CompletedTask;
    }
}
