using DataPlatform.Contracts.ConsumerContext;
using Context = DataPlatform.Contracts.ConsumerContext.ConsumerContext;

namespace DataPlatform.Platform.Tests.ConsumerContext;

public sealed class ConsumerContextHeaderTests
{
    static readonly byte[] _secret = "0123456789abcdef0123456789abcdef"u8.ToArray();
    static readonly DateTimeOffset _now = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signed_context_reads_back_unchanged()
    {
        var context = new Context("acct-1", "acct-1", ["publisher"], ["archives"], "partner", "127.0.0.1", _now);

        var verdict = ConsumerContextHeader.Verify(ConsumerContextHeader.Sign(context, _secret), _secret, _now.AddSeconds(5), out var read);

        Assert.Equal(ConsumerContextVerdict.Valid, verdict);
        Assert.Equal(context.AccountId, read!.AccountId);
        Assert.Equal(context.Roles, read.Roles);
        Assert.Equal(context.Entitlements, read.Entitlements);
        Assert.Equal(context.IssuedAt, read.IssuedAt);
    }

    [Fact]
    public void A_changed_payload_breaks_the_signature()
    {
        var header = ConsumerContextHeader.Sign(Context.Anonymous("127.0.0.1", _now), _secret);
        var forged = ConsumerContextHeader.Sign(new Context("x", "x", ["admin"], [], null, null, _now), _secret);
        var spliced = forged[..forged.LastIndexOf('.')] + header[header.LastIndexOf('.')..];

        Assert.Equal(ConsumerContextVerdict.BadSignature, ConsumerContextHeader.Verify(spliced, _secret, _now, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("v1.")]
    [InlineData("v2.abc.def")]
    [InlineData("v1.abc.not-base64-!!")]
    [InlineData("v1.abc.AAAA")]
    public void A_malformed_header_is_refused(string header) =>
        Assert.Equal(ConsumerContextVerdict.Malformed, ConsumerContextHeader.Verify(header, _secret, _now, out _));

    [Fact]
    public void A_context_older_than_the_default_30_seconds_has_expired()
    {
        var header = ConsumerContextHeader.Sign(Context.Anonymous(null, _now), _secret);

        Assert.Equal(ConsumerContextVerdict.Valid, ConsumerContextHeader.Verify(header, _secret, _now.AddSeconds(29), out _));
        Assert.Equal(ConsumerContextVerdict.Expired, ConsumerContextHeader.Verify(header, _secret, _now.AddSeconds(31), out _));
    }

    [Fact]
    public void A_configured_window_decides_how_long_a_context_stays_valid_either_way()
    {
        var header = ConsumerContextHeader.Sign(Context.Anonymous(null, _now), _secret);
        var window = TimeSpan.FromSeconds(5);

        Assert.Equal(ConsumerContextVerdict.Valid, ConsumerContextHeader.Verify(header, _secret, _now.AddSeconds(4), out _, window));
        Assert.Equal(ConsumerContextVerdict.Expired, ConsumerContextHeader.Verify(header, _secret, _now.AddSeconds(6), out _, window));
        // Signed "in the future" by more than the window: not a clock difference, and refused too.
        Assert.Equal(ConsumerContextVerdict.Expired, ConsumerContextHeader.Verify(header, _secret, _now.AddSeconds(-6), out _, window));
    }
}
