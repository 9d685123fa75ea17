using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.Pipeline;
using DataPlatform.Gateway.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataPlatform.Gateway.Metering;

/// <summary>
/// Adds the journal's closed segments to the usage counters that billing harvests, in the background, so
/// counting adds no round trip to any request. Each consumer's share of a segment is one script call keyed
/// by a batch id (instance folder and segment), which the script records with SET NX before it adds
/// anything: a retry after a lost reply, or a replay of a spool after a crash, never counts twice. A
/// segment is deleted only after every consumer's share is in; while Redis is away segments accumulate on
/// disk and are added, once, when it is back.
/// </summary>
sealed partial class UsageFlusher(
    UsageJournal journal,
    IConnectionMultiplexer redis,
    IOptions<GatewayOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<UsageFlusher> logger) : BackgroundService
{
    static readonly LuaScript _script = LuaScript.Prepare(RedisLimiter.Load("flush.lua"));

    /// <summary>How long a batch marker outlives its batch: longer than any gateway stays down before its spool is replayed.</summary>
    static readonly long _markerSeconds = (long)TimeSpan.FromDays(7).TotalSeconds;

    readonly MeteringOptions _options = options.Value.Metering;
    readonly Dictionary<string, FileStream> _adopted = new(StringComparer.Ordinal);
    long _nextOrphanScan;

    /// <summary>The flush script, loaded on each server at start.</summary>
    public static LuaScript Script => _script;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Hosted services stop before the web server has drained its requests, so the last flush waits for
        // the whole host to stop: responses completed during the drain are journaled and flushed too.
        lifetime.ApplicationStopped.Register(FlushAtExit);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.FlushIntervalMilliseconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushOnceAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: FlushAtExit makes the final flush once the server has drained.
        }
    }

    void FlushAtExit()
    {
        journal.Dispose();
        // What Redis does not take now stays in the folder, which the next instance adopts.
        var flushed = FlushOnceAsync().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(task => task.IsCompletedSuccessfully && task.Result).GetAwaiter().GetResult();
        journal.ReleaseFolder(delete: flushed && !journal.ClosedSegments().Any());
        foreach (var folder in _adopted.Values)
        {
            folder.Dispose();
        }
    }

    /// <summary>Rotates the journal and adds every closed segment; true when nothing is left waiting.</summary>
    internal async Task<bool> FlushOnceAsync()
    {
        try
        {
            journal.Rotate();
            AdoptOrphans();
            var clean = await FlushFolderAsync(journal.InstanceName, journal.Folder);
            foreach (var (name, folderLock) in _adopted.ToList())
            {
                var folder = Path.Combine(journal.Root, name);
                if (await FlushFolderAsync(name, folder))
                {
                    await folderLock.DisposeAsync();
                    _adopted.Remove(name);
                    TryDelete(folder);
                }
                else
                {
                    clean = false;
                }
            }

            return clean;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            LogJournalError(logger, exception.Message);
            return false;
        }
    }

    async Task<bool> FlushFolderAsync(string batchPrefix, string folder)
    {
        foreach (var segment in Directory.EnumerateFiles(folder, "*" + UsageJournal.SegmentExtension).Order(StringComparer.Ordinal).ToList())
        {
            if (!await FlushSegmentAsync(batchPrefix + "/" + Path.GetFileNameWithoutExtension(segment), segment))
            {
                // Keep the order: later segments wait until this one is in.
                return false;
            }

            File.Delete(segment);
        }

        return true;
    }

    async Task<bool> FlushSegmentAsync(string batchId, string path)
    {
        var records = UsageTally.Read(await File.ReadAllBytesAsync(path));
        if (records.Count == 0)
        {
            return true;
        }

        var database = redis.GetDatabase();
        var retention = (long)TimeSpan.FromDays(_options.RetentionDays).TotalSeconds;
        var calls = new List<Task>();
        foreach (var consumer in records.GroupBy(record => record.ConsumerId, StringComparer.Ordinal))
        {
            var batch = ConsumerBatch.From(consumer.Key, consumer);
            foreach (var hour in batch.Hours)
            {
                // The index lives in another cluster slot, so it cannot join the script; adding to a set is
                // idempotent, and it goes first so that a harvester finds every hash the script fills.
                var index = RedisKeys.UsageIndex(hour);
                calls.Add(database.SetAddAsync(index, consumer.Key));
                calls.Add(database.KeyExpireAsync(index, TimeSpan.FromSeconds(retention)));
            }

            var keys = new RedisKey[batch.Keys.Count + 1];
            keys[0] = RedisKeys.LimiterPrefix(consumer.Key) + "flushed:" + batchId;
            for (var i = 0; i < batch.Keys.Count; i++)
            {
                keys[i + 1] = batch.Keys[i];
            }

            var values = new List<RedisValue> { _markerSeconds, retention };
            foreach (var ((keyIndex, field, unlessCounted), amount) in batch.Amounts)
            {
                values.Add(keyIndex + 2);
                values.Add(field);
                values.Add(amount);
                values.Add(unlessCounted);
            }

            calls.Add(database.ScriptEvaluateAsync(_script.ExecutableScript, keys, [.. values]));
        }

        try
        {
            await Task.WhenAll(calls);
            return true;
        }
        catch (Exception exception) when (RedisCircuitBreaker.IsRedisFailure(exception))
        {
            LogFlushDeferred(logger, Path.GetFileName(path), exception.GetType().Name);
            return false;
        }
    }

    void AdoptOrphans()
    {
        var now = Environment.TickCount64;
        if (now < _nextOrphanScan)
        {
            return;
        }

        _nextOrphanScan = now + 10_000;
        foreach (var folder in Directory.EnumerateDirectories(journal.Root))
        {
            var name = Path.GetFileName(folder);
            if (name == journal.InstanceName || _adopted.ContainsKey(name))
            {
                continue;
            }

            if (UsageJournal.TryAdopt(folder) is { } folderLock)
            {
                LogAdopted(logger, name);
                _adopted[name] = folderLock;
            }
        }
    }

    static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // An empty folder left behind is adopted and removed by the next scan.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Usage segment {Segment} waits in the spool: Redis did not take it ({Reason})")]
    static partial void LogFlushDeferred(ILogger logger, string segment, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted the usage spool {Folder} of a gateway that stopped without flushing it")]
    static partial void LogAdopted(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Error, Message = "The usage journal could not be read or written: {Reason}")]
    static partial void LogJournalError(ILogger logger, string reason);
}

/// <summary>One consumer's share of a segment: the counters it touches and what to add to each.</summary>
sealed class ConsumerBatch
{
    public List<string> Keys { get; } = [];

    public HashSet<DateTimeOffset> Hours { get; } = [];

    /// <summary>What to add to each field; <c>UnlessCounted</c> is empty, or <c>call:&lt;instance&gt;=&lt;number&gt;</c> to skip the
    /// addition when the hash's field shows that the limiter call of that number (or a later one) counted.</summary>
    public Dictionary<(int KeyIndex, string Field, string UnlessCounted), long> Amounts { get; } = [];

    public static ConsumerBatch From(string consumerId, IEnumerable<UsageTally> records)
    {
        var batch = new ConsumerBatch();
        var keyIndexes = new Dictionary<string, int>(StringComparer.Ordinal);
        var prefix = RedisKeys.LimiterPrefix(consumerId);
        foreach (var record in records)
        {
            var hour = DateTimeOffset.FromUnixTimeSeconds(record.HourSeconds);
            batch.Hours.Add(hour);
            var usage = batch.KeyIndex(keyIndexes, RedisKeys.Usage(consumerId, hour));
            var statusClass = record.StatusClass;
            batch.Add(usage, UsageField.Requests(record.ProductId, statusClass), record.Count);
            batch.Add(usage, UsageField.Bytes(record.ProductId, statusClass), record.Bytes);

            var billable = record.Flags.HasFlag(UsageFlags.Counted);
            if (record.Flags.HasFlag(UsageFlags.ChargedToMonthlyQuota) && !billable && record.Month is not null)
            {
                // The limiter counted the request when it let it through; a response the plan does not bill
                // (an upstream error, say) gives that unit of quota back.
                batch.Add(batch.KeyIndex(keyIndexes, prefix + RedisLimiter.QuotaSuffix), RedisLimiter.RequestsField(record.Month), -record.Count);
            }

            if (record.Flags.HasFlag(UsageFlags.OwedToMonthlyQuota) && billable)
            {
                // Served under local limits while Redis was away: the month's request count catches up now, in the
                // same exactly-once call as the usage, so an outage neither loses these requests nor counts them twice.
                // A request whose limiter call timed out after it left is charged only if Redis did not run that call
                // (the limiter records the last call of each instance that counted; an instance's calls run in order).
                var unlessCounted = record.LimiterCall?.Split(':') is [var instance, var call] ? RedisLimiter.CallField(instance) + "=" + call : "";
                batch.Add(batch.KeyIndex(keyIndexes, prefix + RedisLimiter.QuotaSuffix), RedisLimiter.RequestsField(record.CompletionMonth), record.Count, unlessCounted);
            }

            if (record.Flags.HasFlag(UsageFlags.CountsBytes) && billable && record.Bytes > 0)
            {
                batch.Add(batch.KeyIndex(keyIndexes, prefix + RedisLimiter.QuotaSuffix), RedisLimiter.BytesField(record.CompletionMonth), record.Bytes);
            }
        }

        return batch;
    }

    int KeyIndex(Dictionary<string, int> indexes, string key)
    {
        if (!indexes.TryGetValue(key, out var index))
        {
            index = Keys.Count;
            Keys.Add(key);
            indexes[key] = index;
        }

        return index;
    }

    void Add(int keyIndex, string field, long amount, string unlessCounted = "")
    {
        Amounts[(keyIndex, field, unlessCounted)] = Amounts.GetValueOrDefault((keyIndex, field, unlessCounted)) + amount;
    }
}
