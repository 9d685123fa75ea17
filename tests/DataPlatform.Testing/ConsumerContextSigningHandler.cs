using DataPlatform.Contracts.ConsumerContext;

namespace DataPlatform.Testing;

/// <summary>Signs a consumer context onto each request, as the gateway does, for tests that call an upstream directly.</summary>
public sealed class ConsumerContextSigningHandler(ConsumerContext consumer, byte[] secret) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(ConsumerContextHeader.Name);
        request.Headers.Add(ConsumerContextHeader.Name, ConsumerContextHeader.Sign(consumer with { IssuedAt = DateTimeOffset.UtcNow }, secret));
        return base.SendAsync(request, cancellationToken);
    }
}
