using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.ConsumerContext;
using DataPlatform.ServiceDefaults.Configuration;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.Extensions.Options;
using ConsumerContextRecord = DataPlatform.Contracts.ConsumerContext.ConsumerContext;

namespace DataPlatform.Gateway.ConsumerContext;

/// <summary>The consumer context of a request, already signed for the upstream.</summary>
/// <param name="Header">The value of <see cref="ConsumerContextHeader.Name"/>.</param>
sealed record SignedConsumerFeature(string Header);

/// <summary>
/// Keeps signed consumer contexts for a few seconds, so that a busy consumer's requests do not each pay for a
/// JSON serialization and an HMAC. A context is re-signed well within the upstreams' validity window
/// (<see cref="PlatformOptions.ConsumerContextMaxAgeSeconds"/>: at most a quarter of it, and 15 s),
/// and a keyed consumer's copies hang off the descriptor object itself, so a reloaded or invalidated descriptor
/// starts afresh and the old copies go with it.
/// </summary>
sealed class SignedContextCache(ConsumerContextSecret secret, TimeProvider time, IOptions<PlatformOptions> options)
{
    sealed record Entry(ConsumerFeature Feature, SignedConsumerFeature Signed, long IssuedAt);

    const int MaxAnonymousEntries = 50_000;
    readonly TimeSpan _reuseFor = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(15).Ticks, options.Value.ConsumerContextMaxAge.Ticks / 4));

    readonly ConditionalWeakTable<ApiKeyDescriptor, ConcurrentDictionary<string, Entry>> _keyed = [];
    readonly ConcurrentDictionary<string, Entry> _anonymous = new(StringComparer.Ordinal);

    public (ConsumerFeature Feature, SignedConsumerFeature Signed) ForKey(ApiKeyDescriptor descriptor, string clientIp)
    {
        var entries = _keyed.GetValue(descriptor, static _ => new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal));
        return Get(entries, clientIp, descriptor, static (descriptor, clientIp, now) => ConsumerContextRecord.ForKey(descriptor, clientIp, now));
    }

    public (ConsumerFeature Feature, SignedConsumerFeature Signed) ForAnonymous(string? clientIp)
    {
        if (_anonymous.Count > MaxAnonymousEntries)
        {
            _anonymous.Clear();
        }

        return Get(_anonymous, clientIp ?? string.Empty, clientIp, static (clientIp, _, now) => ConsumerContextRecord.Anonymous(clientIp, now));
    }

    // The factory is static and takes its state, so a cached context costs no closure per request.
    (ConsumerFeature, SignedConsumerFeature) Get<TState>(ConcurrentDictionary<string, Entry> entries, string clientIp, TState state,
        Func<TState, string, DateTimeOffset, ConsumerContextRecord> create)
    {
        var timestamp = time.GetTimestamp();
        if (entries.TryGetValue(clientIp, out var entry) && time.GetElapsedTime(entry.IssuedAt, timestamp) < _reuseFor)
        {
            return (entry.Feature, entry.Signed);
        }

        var consumer = create(state, clientIp, time.GetUtcNow());
        entry = new Entry(new ConsumerFeature(consumer), new SignedConsumerFeature(ConsumerContextHeader.Sign(consumer, secret.Key)), timestamp);
        entries[clientIp] = entry;
        return (entry.Feature, entry.Signed);
    }
}
