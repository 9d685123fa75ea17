using System.Globalization;

namespace DataPlatform.Contracts.Redis;

/// <summary>
/// Every Redis key the services share, defined once. Keys that belong to one consumer carry the hash tag
/// <c>{c:&lt;consumer&gt;}</c>, so that on a Redis Cluster they all live in one slot and one Lua script can
/// touch them atomically.
/// </summary>
public static class RedisKeys
{
    /// <summary>The hash tag that keeps one consumer's keys in one cluster slot.</summary>
    public static string ConsumerTag(string consumerId) => "{c:" + consumerId + "}";

    /// <summary>A string holding the JSON <see cref="Access.ApiKeyDescriptor"/> of the key whose SHA-256 is <paramref name="keyHash"/>.</summary>
    public static string ApiKey(string keyHash) => "dp:key:" + keyHash;

    /// <summary>A string holding the JSON <see cref="Access.DatasetDescriptor"/> of a dataset.</summary>
    public static string Dataset(string datasetId) => "dp:dataset:" + datasetId;

    /// <summary>The prefix under which every consumer's rate-limit and quota state lives (owned by the gateway).</summary>
    public static string LimiterPrefix(string consumerId) => "dp:" + ConsumerTag(consumerId) + ":limit:";

    /// <summary>
    /// A counter of the API keys refused (malformed, unknown, revoked, expired) from one client address in the
    /// gateway's current window, which expires with the window. <paramref name="clientPartition"/> is the address as
    /// the anonymous tier partitions it (<c>ip:&lt;IPv4&gt;</c>, <c>ip:&lt;IPv6 /64 prefix&gt;/64</c>). One key per
    /// address, declared to the gateway's script in <c>KEYS</c>, so it is one cluster slot; its hash tag keeps any
    /// future key of the same address in that slot too.
    /// </summary>
    public static string KeyFailures(string clientPartition) => "dp:{a:" + clientPartition + "}:key-failures";

    /// <summary>
    /// A hash of one consumer's usage in one hour (UTC, <see cref="UsageHour"/>). Fields are
    /// <see cref="UsageField"/> names; values are absolute running totals that only grow, so a harvester can
    /// read them any number of times and store what it read without double counting.
    /// </summary>
    public static string Usage(string consumerId, DateTimeOffset hour) => "dp:" + ConsumerTag(consumerId) + ":usage:" + UsageHour(hour);

    /// <summary>A set of the consumer ids that have usage in <paramref name="hour"/>, for harvesters to find them.</summary>
    public static string UsageIndex(DateTimeOffset hour) => "dp:usage-index:" + UsageHour(hour);

    /// <summary>The hour bucket of a moment, as <c>yyyyMMddHH</c> in UTC.</summary>
    public static string UsageHour(DateTimeOffset moment) =>
        moment.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);

    /// <summary>Parses a <see cref="UsageHour"/> bucket back into the start of its hour.</summary>
    public static DateTimeOffset ParseUsageHour(string bucket) =>
        DateTimeOffset.ParseExact(bucket, "yyyyMMddHH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    /// <summary>The channel on which <see cref="Invalidation"/> messages are published.</summary>
    public const string InvalidationChannel = "dp:invalidate";

    /// <summary>The list in which the portal's instances share the Data Protection keys of their session cookies.</summary>
    public const string PortalDataProtectionKeys = "dp:portal:data-protection-keys";
}

/// <summary>A field of a <see cref="RedisKeys.Usage"/> hash.</summary>
public static class UsageField
{
    /// <summary>The product a call counts against, or this value for calls outside any product.</summary>
    public const string NoProduct = "-";

    /// <summary>
    /// The prefix of the outcome classes of account and billing management calls (<c>account-2xx</c> …), which count
    /// against a consumer's limits but are not data requests: no plan bills them.
    /// </summary>
    public const string AccountClassPrefix = "account-";

    /// <summary>
    /// The number of completed responses for a product and outcome class: the status class (<c>2xx</c>, <c>4xx</c> …) of
    /// a data request, as the upstream reported it for GraphQL, or <see cref="AccountClassPrefix"/> and the status class.
    /// </summary>
    public static string Requests(string? productId, string statusClass) => $"{productId ?? NoProduct}|{statusClass}|requests";

    /// <summary>The response bytes sent for a product and outcome class.</summary>
    public static string Bytes(string? productId, string statusClass) => $"{productId ?? NoProduct}|{statusClass}|bytes";

    /// <summary>Splits a field name into product, status class and measure (<c>requests</c> or <c>bytes</c>).</summary>
    public static (string? ProductId, string StatusClass, string Measure)? Parse(string field)
    {
        var parts = field.Split('|');
        return parts.Length == 3 ? (parts[0] == NoProduct ? null : parts[0], parts[1], parts[2]) : null;
    }
}

/// <summary>
/// Messages on <see cref="RedisKeys.InvalidationChannel"/>. A gateway instance that receives one drops its
/// cached copy at once, so a revocation takes effect everywhere within the time pub/sub takes to deliver.
/// </summary>
public static class Invalidation
{
    /// <summary>Drop the cached descriptor of the key with hash <paramref name="keyHash"/>.</summary>
    public static string ApiKey(string keyHash) => "key:" + keyHash;

    /// <summary>Drop the cached descriptor of dataset <paramref name="datasetId"/>.</summary>
    public static string Dataset(string datasetId) => "dataset:" + datasetId;

    /// <summary>Drop every cached descriptor: sent after a full resync.</summary>
    public const string All = "all";
}
