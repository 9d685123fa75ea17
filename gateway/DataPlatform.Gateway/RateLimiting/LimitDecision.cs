namespace DataPlatform.Gateway.RateLimiting;

/// <summary>The policies of a plan that the limiter enforces; 0 means "no limit".</summary>
readonly record struct LimitPolicy(int BurstPerSecond, int RequestsPerMinute, long MonthlyRequests, long MonthlyBytes);

/// <summary>Which policies a request violated.</summary>
[Flags]
enum ViolatedPolicies
{
    None = 0,
    Burst = 1,
    Minute = 2,
    MonthlyRequests = 4,
    MonthlyBytes = 8,
}

/// <summary>
/// What the limiter script decided for one request, with what the <c>RateLimit</c> headers report.
/// Remaining counts are -1 for a policy the plan does not set.
/// </summary>
readonly record struct LimitDecision(
    ViolatedPolicies Violated,
    int BurstRemaining,
    int BurstReset,
    int MinuteRemaining,
    int MinuteReset,
    long MonthUsed,
    long MonthBytesUsed,
    long MonthReset,
    long MonthSeconds,
    int RetryAfter,
    string? Month)
{
    public bool Allowed => Violated == ViolatedPolicies.None;
}
