using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace DataPlatform.Gateway.RateLimiting;

/// <summary>
/// Writes the <c>RateLimit-Policy</c> and <c>RateLimit</c> fields of draft-ietf-httpapi-ratelimit-headers-11:
/// structured-field lists with one item per policy, named <c>burst</c> (per second), <c>minute</c>,
/// <c>monthly</c> (requests per calendar month) and <c>monthly-bytes</c> (response bytes, <c>qu="content-bytes"</c>).
/// </summary>
static class RateLimitHeaders
{
    public const string PolicyName = "RateLimit-Policy";
    public const string Name = "RateLimit";

    /// <summary>The member of a quota-exceeded problem that lists the names of the violated policies.</summary>
    public const string ViolatedPoliciesMember = "violated-policies";

    // The policy field changes only with the plan and the month's length, so each distinct one is built once.
    static readonly ConcurrentDictionary<(LimitPolicy, long), string> _policyFields = new();
    [ThreadStatic]
    static StringBuilder? _policies;
    [ThreadStatic]
    static StringBuilder? _state;

    public static void Write(IHeaderDictionary headers, LimitPolicy policy, in LimitDecision decision)
    {
        var policies = _policies ??= new StringBuilder(160);
        var state = _state ??= new StringBuilder(128);
        policies.Clear();
        state.Clear();
        if (policy.BurstPerSecond > 0)
        {
            Item(policies, state, "burst", policy.BurstPerSecond, 1, null, decision.BurstRemaining, decision.BurstReset);
        }

        if (policy.RequestsPerMinute > 0)
        {
            Item(policies, state, "minute", policy.RequestsPerMinute, 60, null, decision.MinuteRemaining, decision.MinuteReset);
        }

        if (policy.MonthlyRequests > 0)
        {
            Item(policies, state, "monthly", policy.MonthlyRequests, decision.MonthSeconds, null,
                Math.Max(0, policy.MonthlyRequests - decision.MonthUsed), decision.MonthReset);
        }

        if (policy.MonthlyBytes > 0)
        {
            Item(policies, state, "monthly-bytes", policy.MonthlyBytes, decision.MonthSeconds, "content-bytes",
                Math.Max(0, policy.MonthlyBytes - decision.MonthBytesUsed), decision.MonthReset);
        }

        if (policies.Length > 0)
        {
            if (!_policyFields.TryGetValue((policy, decision.MonthSeconds), out var policyField))
            {
                policyField = policies.ToString();
                if (_policyFields.Count < 10_000)
                {
                    _policyFields[(policy, decision.MonthSeconds)] = policyField;
                }
            }

            headers[PolicyName] = policyField;
            headers[Name] = state.ToString();
        }
    }

    /// <summary>The single local policy that applies while Redis is unreachable; <c>r</c> is required in every item.</summary>
    public static void WriteLocal(IHeaderDictionary headers, int perSecond, long remaining)
    {
        headers[PolicyName] = string.Create(CultureInfo.InvariantCulture, $"\"local\";q={perSecond};w=1");
        headers[Name] = string.Create(CultureInfo.InvariantCulture, $"\"local\";r={Math.Max(0, remaining)};t=1");
    }

    /// <summary>The names of the violated policies, for the 429 body.</summary>
    public static List<string> Names(ViolatedPolicies violated)
    {
        var names = new List<string>(4);
        if (violated.HasFlag(ViolatedPolicies.Burst))
        {
            names.Add("burst");
        }

        if (violated.HasFlag(ViolatedPolicies.Minute))
        {
            names.Add("minute");
        }

        if (violated.HasFlag(ViolatedPolicies.MonthlyRequests))
        {
            names.Add("monthly");
        }

        if (violated.HasFlag(ViolatedPolicies.MonthlyBytes))
        {
            names.Add("monthly-bytes");
        }

        return names;
    }

    static void Item(StringBuilder policies, StringBuilder state, string name, long quota, long window, string? unit, long remaining, long reset)
    {
        if (policies.Length > 0)
        {
            policies.Append(", ");
            state.Append(", ");
        }

        policies.Append(CultureInfo.InvariantCulture, $"\"{name}\";q={quota}");
        if (unit is not null)
        {
            policies.Append(CultureInfo.InvariantCulture, $";qu=\"{unit}\"");
        }

        policies.Append(CultureInfo.InvariantCulture, $";w={window}");
        state.Append(CultureInfo.InvariantCulture, $"\"{name}\";r={Math.Max(0, remaining)};t={Math.Max(0, reset)}");
    }
}
