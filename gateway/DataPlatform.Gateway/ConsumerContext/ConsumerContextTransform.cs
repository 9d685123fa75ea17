using DataPlatform.Contracts.ConsumerContext;
using Yarp.ReverseProxy.Transforms;

namespace DataPlatform.Gateway.ConsumerContext;

/// <summary>
/// Removes every header in the gateway's reserved namespace from what the client sent, then adds the
/// consumer context the gateway established, signed. An outside client therefore cannot claim to be
/// anyone: whatever it puts in these headers never reaches an upstream.
/// </summary>
sealed class ConsumerContextTransform(SignedContextCache signed) : RequestTransform
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

        var value = context.HttpContext.Features.Get<SignedConsumerFeature>()?.Header
            ?? signed.ForAnonymous(context.HttpContext.Connection.RemoteIpAddress?.ToString()).Signed.Header;
        headers.TryAddWithoutValidation(ConsumerContextHeader.Name, value);
        return ValueTask.CompletedTask;
    }
}
