using System.Buffers.Text;
using System.Globalization;
using DataPlatform.Contracts.Redis;
using StackExchange.Redis;

namespace DataPlatform.Gateway.RateLimiting;

/// <summary>
/// Enforces a consumer's rate limits and monthly quotas with one atomic script call. The script reads the Redis
/// server's clock, so every gateway instance sees the same time, and it decides and counts in one step, so
/// concurrent requests on any number of instances cannot slip past a limit between a read and a write.
/// </summary>
/// <remarks>
/// Requests of one consumer that arrive while that consumer's previous call is still on its way are decided
/// together, in arrival order, by the next call: a busy consumer costs one script call per round trip rather than
/// one per request, and a request never waits for more than the call ahead of it and its own. The decisions are
/// the ones separate calls would have made at that server time, so nothing about exactness changes; a consumer
/// with one request at a time still gets a call of its own at once.
/// </remarks>
sealed class RedisLimiter(IConnectionMultiplexer redis)
{
    /// <summary>The hash, under the consumer's limiter prefix, that holds the limiter's state and the month's counts.</summary>
    public const string QuotaSuffix = "state";

    /// <summary>The most requests one call decides; a longer queue is split over several calls.</summary>
    public const int MaxBatch = 256;

    const int ValuesPerDecision = 7;

    /// <summary>A batch is handed out in runs of at least this many requests (see <see cref="SendAsync"/>).</summary>
    const int MinRequestsPerRun = 4;

    /// <summary>The quota hash field counting requests in a month (<c>yyyyMM</c>, Asia/Ho_Chi_Minh).</summary>
    public static string RequestsField(string month) => "requests:" + month;

    /// <summary>The quota hash field counting billable response bytes in a month.</summary>
    public static string BytesField(string month) => "bytes:" + month;

    /// <summary>The quota hash field holding the number of the last call from limiter <paramref name="instance"/> that counted.</summary>
    public static string CallField(string instance) => "call:" + instance;

    static readonly LuaScript _script = LuaScript.Prepare(ReadScript("limiter.lua"));

    /// <summary>This limiter's name in the calls it numbers, unique per process.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N")[..12];

    long _calls;
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, RedisKey[]> _keys = new(StringComparer.Ordinal);
    readonly System.Collections.Concurrent.ConcurrentDictionary<(string, LimitPolicy), Lane> _lanes = new();

    /// <summary>The script text, loaded on each server at start so that requests use EVALSHA.</summary>
    public static LuaScript Script => _script;

    /// <summary>Decides one request of <paramref name="consumerId"/> under <paramref name="policy"/>.</summary>
    /// <param name="consumerId">The consumer: an account id, or <c>ip:&lt;address&gt;</c> for anonymous calls.</param>
    /// <param name="policy">The plan's limits.</param>
    /// <param name="nowMicroseconds">A fixed clock for tests of the month boundary; <c>null</c> uses the server's clock.</param>
    public Task<LimitDecision> DecideAsync(string consumerId, LimitPolicy policy, long? nowMicroseconds = null) =>
        nowMicroseconds is { } now ? DecideAloneAsync(consumerId, policy, now) : Decide(consumerId, policy).Task;

    /// <summary>
    /// Decides one request of <paramref name="consumerId"/> under <paramref name="policy"/>; the answer tells, when the
    /// caller gives up waiting, whether and in which call the request went to Redis (<see cref="PendingDecision.Abandon"/>).
    /// </summary>
    public PendingDecision Decide(string consumerId, LimitPolicy policy)
    {
        if (!_lanes.TryGetValue((consumerId, policy), out var lane))
        {
            if (_lanes.Count > 100_000)
            {
                // A lane still sending keeps its own reference; a new lane for the same consumer only means two
                // calls in flight at once, which Redis still runs one after the other.
                _lanes.Clear();
            }

            lane = _lanes.GetOrAdd((consumerId, policy), static (_, keys) => new Lane(keys), KeysOf(consumerId));
        }

        // Continuations run where the batch completes them (see SendAsync), so no option to run them asynchronously.
        var pending = new PendingDecision(this);
        List<PendingDecision>? batch = null;
        lock (lane.Gate)
        {
            lane.Undecided++;
            if (lane.Sending)
            {
                lane.Waiting.Add(pending);
            }
            else
            {
                lane.Sending = true;
                batch = [pending];
            }
        }

        if (batch is not null)
        {
            _ = SendAsync(lane, policy, batch);
        }

        return pending;
    }

    /// <summary>
    /// Whether <paramref name="consumerId"/> is, by this instance's last decision for it, well inside every limit of
    /// <paramref name="policy"/>: the decision is under <see cref="HeadroomSeconds"/> old, and what it left exceeds,
    /// by at least <see cref="HeadroomMargin"/>, the requests this instance has sent for a decision since. Other
    /// instances may have used some of that room meanwhile, so this is a forecast, not a decision: the script still
    /// decides every request.
    /// </summary>
    public bool HasHeadroom(string consumerId, LimitPolicy policy)
    {
        if (!_lanes.TryGetValue((consumerId, policy), out var lane))
        {
            return false;
        }

        lock (lane.Gate)
        {
            return Environment.TickCount64 - lane.DecidedAt < HeadroomSeconds * 1000 && lane.Headroom - lane.Undecided >= HeadroomMargin;
        }
    }

    /// <summary>The room a forecast keeps in hand: one for the request asked about, one to spare.</summary>
    public const int HeadroomMargin = 2;

    /// <summary>How long a decision forecasts anything: a consumer idle here for longer may be busy elsewhere.</summary>
    public const int HeadroomSeconds = 10;

    /// <summary>How many more requests the most constrained policy allowed after <paramref name="decision"/>.</summary>
    static long Headroom(LimitPolicy policy, LimitDecision decision)
    {
        if (!decision.Allowed || (policy.MonthlyBytes > 0 && decision.MonthBytesUsed >= policy.MonthlyBytes))
        {
            return 0;
        }

        var room = long.MaxValue;
        if (policy.BurstPerSecond > 0)
        {
            room = Math.Min(room, decision.BurstRemaining);
        }

        if (policy.RequestsPerMinute > 0)
        {
            room = Math.Min(room, decision.MinuteRemaining);
        }

        if (policy.MonthlyRequests > 0)
        {
            room = Math.Min(room, policy.MonthlyRequests - decision.MonthUsed);
        }

        return room;
    }

    /// <summary>
    /// Decides one batch, starts the next one if requests queued meanwhile, then hands each request its decision,
    /// so the queued batch is already on its way before any request runs on. Never throws.
    /// </summary>
    async Task SendAsync(Lane lane, LimitPolicy policy, List<PendingDecision> batch)
    {
        var undecided = batch.Count;
        // A request whose caller gave up waiting before its call left is not sent: the caller served it under local
        // limits, and the metering flush charges it. Each request that goes carries its call's number.
        var call = Interlocked.Increment(ref _calls);
        batch.RemoveAll(pending => !pending.TrySend(call));
        Decisions? values = null;
        Exception? failure = null;
        if (batch.Count > 0)
        {
            try
            {
                values = await CallAsync(lane.Keys, policy, RedisValue.EmptyString, batch.Count, call).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        }

        List<PendingDecision>? next = null;
        lock (lane.Gate)
        {
            lane.Undecided -= undecided;
            lane.Headroom = values is null ? 0 : Headroom(policy, values[batch.Count - 1]);
            lane.DecidedAt = Environment.TickCount64;
            if (lane.Waiting.Count == 0)
            {
                lane.Sending = false;
            }
            else if (lane.Waiting.Count <= MaxBatch)
            {
                next = lane.Waiting;
                lane.Waiting = [];
            }
            else
            {
                next = lane.Waiting[..MaxBatch];
                lane.Waiting.RemoveRange(0, MaxBatch);
            }
        }

        if (next is not null)
        {
            _ = SendAsync(lane, policy, next);
        }

        // Each request goes on where it is completed. A thread-pool hop per request would cost a thread wake-up
        // each, so the batch is cut into at most one run per core: all but the last are queued, the last runs here.
        var runs = Math.Clamp(batch.Count / MinRequestsPerRun, 1, Environment.ProcessorCount);
        var size = (batch.Count + runs - 1) / runs;
        for (var start = 0; start < batch.Count; start += size)
        {
            var run = new Completions(batch, values, failure, start, Math.Min(batch.Count, start + size));
            if (run.End < batch.Count)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static run => run.Complete(), run, preferLocal: false);
            }
            else
            {
                run.Complete();
            }
        }
    }

    /// <summary>Hands the requests <c>[Start, End)</c> of a batch their decisions (or the call's failure).</summary>
    readonly record struct Completions(List<PendingDecision> Batch, Decisions? Values, Exception? Failure, int Start, int End)
    {
        public void Complete()
        {
            for (var i = Start; i < End; i++)
            {
                if (Values is null)
                {
                    Batch[i].TrySetException(Failure!);
                }
                else
                {
                    Batch[i].TrySetResult(Values[i]);
                }
            }
        }
    }

    async Task<LimitDecision> DecideAloneAsync(string consumerId, LimitPolicy policy, long now)
    {
        var decisions = await CallAsync(KeysOf(consumerId), policy, now.ToString(CultureInfo.InvariantCulture), 1, 0).ConfigureAwait(false);
        return decisions[0];
    }

    async Task<Decisions> CallAsync(RedisKey[] keys, LimitPolicy policy, RedisValue now, int count, long call)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(
            _script.ExecutableScript,
            keys,
            [now, policy.BurstPerSecond, policy.RequestsPerMinute, policy.MonthlyRequests, policy.MonthlyBytes, count,
                call == 0 ? RedisValue.EmptyString : (RedisValue)Instance, call]).ConfigureAwait(false);
        var values = (RedisResult[])result!;
        var decisions = new Decisions((string?)values[0], (long)values[1], (long)values[2], (long)values[3], new long[count * ValuesPerDecision]);
        var packed = ((byte[]?)values[4]).AsSpan();
        for (var i = 0; i < decisions.Values.Length; i++)
        {
            // "v,v,v,v,v,v,v;" per decision: every value ends with a comma or, the last of a decision, a semicolon.
            if (!Utf8Parser.TryParse(packed, out decisions.Values[i], out var used) || used >= packed.Length)
            {
                throw new InvalidOperationException($"The limiter script's answer for {count} requests could not be read.");
            }

            packed = packed[(used + 1)..];
        }

        return decisions;
    }

    /// <summary>What one call decided: the month's figures, and seven values for each request.</summary>
    sealed record Decisions(string? Month, long MonthBytesUsed, long MonthReset, long MonthSeconds, long[] Values)
    {
        public LimitDecision this[int index]
        {
            get
            {
                var at = index * ValuesPerDecision;
                return new LimitDecision(
                    (ViolatedPolicies)Values[at],
                    (int)Values[at + 1],
                    (int)Values[at + 2],
                    (int)Values[at + 3],
                    (int)Values[at + 4],
                    Values[at + 5],
                    MonthBytesUsed,
                    MonthReset,
                    MonthSeconds,
                    (int)Values[at + 6],
                    Month);
            }
        }
    }

    /// <summary>One consumer's queue: the requests waiting for the call in flight to come back.</summary>
    sealed class Lane(RedisKey[] keys)
    {
        public readonly Lock Gate = new();
        public readonly RedisKey[] Keys = keys;
        public List<PendingDecision> Waiting = [];
        public bool Sending;

        /// <summary>Requests sent for a decision and not yet decided: in the call in flight or waiting for the next.</summary>
        public int Undecided;

        /// <summary>What the last decided request left of the most constrained policy (0 after a refusal or a failure).</summary>
        public long Headroom;

        /// <summary>When (<see cref="Environment.TickCount64"/>) the last batch was decided.</summary>
        public long DecidedAt = long.MinValue / 2;
    }

    /// <summary>A consumer's limiter key, built once: the request path should not concatenate it each time.</summary>
    RedisKey[] KeysOf(string consumerId)
    {
        if (_keys.TryGetValue(consumerId, out var keys))
        {
            return keys;
        }

        if (_keys.Count > 100_000)
        {
            _keys.Clear();
        }

        var prefix = RedisKeys.LimiterPrefix(consumerId);
        return _keys[consumerId] = [prefix + QuotaSuffix];
    }

    static string ReadScript(string name)
    {
        using var stream = typeof(RedisLimiter).Assembly.GetManifestResourceStream("DataPlatform.Gateway." + name)
            ?? throw new InvalidOperationException($"The script {name} is missing from the gateway's assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Reads an embedded script.</summary>
    public static string Load(string name) => ReadScript(name);
}

/// <summary>
/// One request's decision on its way, and whether its call went to Redis. A caller that stops waiting (a timeout)
/// abandons it: a request not yet sent is then never sent, and one that was sent names its call, so that the metering
/// flush charges the month's quota only if that call did not count it (<see cref="RedisLimiter.CallField"/>).
/// </summary>
sealed class PendingDecision(RedisLimiter limiter) : TaskCompletionSource<LimitDecision>
{
    const int Waiting = 0, Sent = 1, Abandoned = 2;
    int _state;
    long _call;

    /// <summary>Marks the request as sent in <paramref name="call"/>; false when its caller abandoned it first.</summary>
    internal bool TrySend(long call)
    {
        _call = call;
        return Interlocked.CompareExchange(ref _state, Sent, Waiting) == Waiting;
    }

    /// <summary>
    /// Gives up waiting: <c>null</c> when the request never left (it is not sent now), else <c>instance:call</c>, the
    /// call that carried it, which Redis may or may not have run.
    /// </summary>
    public string? Abandon() => Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting
        ? null
        : limiter.Instance + ":" + Volatile.Read(ref _call).ToString(CultureInfo.InvariantCulture);
}
