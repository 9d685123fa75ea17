using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Plans;
using DataPlatform.Billing.Storage;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.Contracts;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Billing.ApiKeys;

/// <summary>
/// Writes the <see cref="ApiKeyDescriptor"/> of every key of an account to Redis and publishes an invalidation
/// for each, so that every gateway instance acts on a change at once. Called after every change to a key, plan,
/// subscription or account status; the resync service calls it for every account.
/// </summary>
sealed partial class DescriptorPublisher(
    IConnectionMultiplexer redis, AccountStore accounts, ApiKeyStore keys, PlanStore plans, SubscriptionStore subscriptions,
    BillingDb db, TimeProvider time, ILogger<DescriptorPublisher> logger)
{
    /// <summary>How long a refused key's descriptor stays, so that its callers hear why rather than "unknown key".</summary>
    static readonly TimeSpan _refusedKeyRetention = TimeSpan.FromDays(30);

    public async Task<IReadOnlyList<ApiKeyDescriptor>> PublishAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await accounts.FindAsync(accountId, cancellationToken);
        if (account is null)
        {
            return [];
        }

        var accountKeys = await keys.ListAsync(accountId, cancellationToken);
        return await PublishAsync(account, accountKeys, cancellationToken);
    }

    async Task<IReadOnlyList<ApiKeyDescriptor>> PublishAsync(Account account, IReadOnlyList<ApiKey> accountKeys, CancellationToken cancellationToken)
    {
        if (accountKeys.Count == 0)
        {
            return [];
        }

        var now = time.GetUtcNow();
        var plan = await plans.GetPlanOrDefaultAsync(await subscriptions.PlanAtAsync(account.Id, now, cancellationToken), cancellationToken);
        var entitlements = (await subscriptions.ProductsAtAsync(account.Id, now, cancellationToken)).Select(Entitlements.Product)
            .Concat((await db.QueryAsync<string>("SELECT dataset_id FROM dataset_grants WHERE account_id = @Id ORDER BY dataset_id", account, cancellationToken))
                .Select(Entitlements.Dataset))
            .ToList();
        var users = await accounts.UsersAsync(account.Id, cancellationToken);

        var database = redis.GetDatabase();
        var descriptors = new List<ApiKeyDescriptor>(accountKeys.Count);
        var writes = new List<Task>();
        foreach (var key in accountKeys)
        {
            var (status, reason) = StatusOf(account, key);
            var descriptor = new ApiKeyDescriptor(
                key.Id, account.Id, account.Id, status, UnixTime.At(key.ExpiresAt), plan.Limits, RolesOf(key, users), entitlements, reason)
            {
                UserId = key.UserId,
            };
            descriptors.Add(descriptor);

            TimeSpan? ttl = null;
            if (status != ApiKeyStatus.Active)
            {
                ttl = _refusedKeyRetention;
            }
            else if (key.ExpiresAt is { } expiry)
            {
                ttl = UnixTime.At(expiry) - now + _refusedKeyRetention;
            }

            writes.Add(ttl is { } lifetime
                ? database.StringSetAsync(RedisKeys.ApiKey(key.KeyHash), ContractJson.Serialize(descriptor), lifetime)
                : database.StringSetAsync(RedisKeys.ApiKey(key.KeyHash), ContractJson.Serialize(descriptor)));
            writes.Add(database.PublishAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), Invalidation.ApiKey(key.KeyHash)));
        }

        await Task.WhenAll(writes);
        LogPublished(logger, account.Id, descriptors.Count);
        return descriptors;
    }

    /// <summary>
    /// Rewrites every descriptor from the database, deletes descriptors of keys billing does not know when
    /// <paramref name="removeUnknown"/>, and tells every gateway to drop its cache.
    /// </summary>
    public async Task<int> ResyncAllAsync(bool removeUnknown, CancellationToken cancellationToken)
    {
        var allKeys = await keys.AllAsync(cancellationToken);
        var written = 0;
        foreach (var group in allKeys.GroupBy(k => k.AccountId))
        {
            var account = await accounts.FindAsync(group.Key, cancellationToken);
            if (account is not null)
            {
                written += (await PublishAsync(account, group.ToList(), cancellationToken)).Count;
            }
        }

        var removed = 0;
        if (removeUnknown)
        {
            var known = allKeys.Select(k => RedisKeys.ApiKey(k.KeyHash)).ToHashSet(StringComparer.Ordinal);
            var database = redis.GetDatabase();
            foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
            {
                await foreach (var redisKey in server.KeysAsync(database.Database, RedisKeys.ApiKey("*"), pageSize: 500).WithCancellation(cancellationToken))
                {
                    if (!known.Contains(redisKey.ToString()))
                    {
                        await database.KeyDeleteAsync(redisKey);
                        removed++;
                    }
                }
            }
        }

        await redis.GetDatabase().PublishAsync(RedisChannel.Literal(RedisKeys.InvalidationChannel), Invalidation.All);
        LogResynced(logger, written, removed);
        return written;
    }

    /// <summary>
    /// The roles a key carries: those it was given (its creator's at the time), narrowed to what its user holds now,
    /// so that demoting or removing someone takes effect on their keys at once. A key of the account as a whole
    /// keeps only given roles that someone in the account still holds; the oldest keys, made before keys had roles
    /// of their own, carry the first owner's.
    /// </summary>
    internal static IReadOnlyList<string> RolesOf(ApiKey key, IReadOnlyList<User> users)
    {
        var granted = key.GrantedRoles;
        if (key.UserId is not null)
        {
            var held = users.FirstOrDefault(u => u.Id == key.UserId)?.RoleList ?? [];
            return granted is null ? held : Narrow(granted, held);
        }

        return granted is null
            ? AccountStore.FirstOwner(users)?.RoleList ?? []
            : Narrow(granted, users.SelectMany(u => u.RoleList).Distinct().ToList());
    }

    /// <summary>
    /// The roles in both lists, where an owner counts as a member too: an owner's key of a person made a member keeps
    /// the member role, and a member's key of a person made an owner stays a member's key.
    /// </summary>
    static List<string> Narrow(IReadOnlyList<string> granted, IReadOnlyList<string> held)
    {
        static HashSet<string> Expand(IEnumerable<string> roles)
        {
            var set = roles.ToHashSet(StringComparer.Ordinal);
            if (set.Contains(Roles.Owner))
            {
                set.Add(Roles.Member);
            }

            return set;
        }

        var both = Expand(granted);
        both.IntersectWith(Expand(held));
        if (both.Contains(Roles.Owner))
        {
            both.Remove(Roles.Member);
        }

        return [.. granted.Where(both.Contains).Concat(both.Where(r => !granted.Contains(r)).Order(StringComparer.Ordinal))];
    }

    static (ApiKeyStatus Status, string? Reason) StatusOf(Account account, ApiKey key)
    {
        if (key.RevokedAt is not null)
        {
            return key.Kind == ApiKeyKinds.Session
                ? (ApiKeyStatus.Revoked, "This portal session has ended (signed out, or its user left the account). Sign in again.")
                : (ApiKeyStatus.Revoked, "This API key was revoked. Create a new one in the developer portal.");
        }

        return account.Status switch
        {
            AccountStatuses.Suspended => (ApiKeyStatus.Suspended,
                account.StatusReason ?? "The account is suspended. Pay the outstanding invoice or contact the data platform team."),
            AccountStatuses.Closed => (ApiKeyStatus.Revoked, "The account is closed."),
            AccountStatuses.Pending => (ApiKeyStatus.Revoked, "The account's e-mail address is not confirmed yet."),
            _ => (ApiKeyStatus.Active, null),
        };
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {Count} key descriptors of account {AccountId}")]
    static partial void LogPublished(ILogger logger, string accountId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resynchronised {Written} key descriptors; removed {Removed} unknown ones")]
    static partial void LogResynced(ILogger logger, int written, int removed);
}
