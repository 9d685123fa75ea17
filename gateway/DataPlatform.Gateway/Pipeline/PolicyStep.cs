using System.Globalization;
using System.Runtime.CompilerServices;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;
using DataPlatform.Gateway.ApiKeys;
using DataPlatform.Gateway.Authorization;
using DataPlatform.Gateway.ConsumerContext;
using DataPlatform.Gateway.Metering;
using DataPlatform.Gateway.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using ConsumerContextRecord = DataPlatform.Contracts.ConsumerContext.ConsumerContext;

namespace DataPlatform.Gateway.Pipeline;

/// <summary>
/// The gateway's policies, run as one step of the proxy pipeline for every public route: authenticate the
/// API key, authorize the dataset, apply the plan's limits and quotas in one Redis call, write the RateLimit
/// headers, hand the consumer to the upstream, and journal the completed response for metering. A route
/// whose metadata says <c>"Policies": "off"</c> (health, OpenAPI, webhooks) passes straight through.
/// </summary>
sealed partial class PolicyStep(
    ApiKeyCache keys,
    KeyFailureGuard failures,
    DatasetCache datasets,
    RedisLimiter limiter,
    LocalLimiter local,
    RedisCircuitBreaker breaker,
    UsageJournal journal,
    SignedContextCache signedContexts,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<PolicyStep> logger)
{
    public const string PoliciesMetadata = "Policies";

    /// <summary>Route metadata: <c>"Usage": "account"</c> marks account and billing management, which is never billed.</summary>
    public const string UsageMetadata = "Usage";
    static readonly string[] _defaultBillable = ["2xx"];
    readonly GatewayOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var metadata = context.GetReverseProxyFeature().Route.Config.Metadata;
        if (metadata is not null && metadata.TryGetValue(PoliciesMetadata, out var policies) && policies == "off")
        {
            await next();
            return;
        }

        var now = time.GetUtcNow();
        var key = ApiKeyExtractor.TakeKey(context.Request);
        var clientIp = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

        ApiKeyDescriptor? descriptor = null;
        if (key is not null)
        {
            if (failures.IsBlocked(context.Connection.RemoteIpAddress, out var retryAfter))
            {
                await TooManyFailedKeys(retryAfter).ExecuteAsync(context);
                return;
            }

            var (refusal, found, keyFailed) = await AuthenticateAsync(key, now);
            if (refusal is not null)
            {
                if (keyFailed)
                {
                    await failures.CountAsync(context.Connection.RemoteIpAddress);
                }

                await refusal.ExecuteAsync(context);
                return;
            }

            descriptor = found;
        }

        DatasetDescriptor? dataset = null;
        string? hiddenId = null;
        if (DatasetPath.Find(context.Request.Path) is { } datasetId)
        {
            (_, dataset) = await datasets.Descriptors.GetAsync(datasetId);
            if (dataset is not null && !DatasetPath.IsChange(context.Request)
                && DatasetAccessProblem.For(dataset, dataset.ReadRefusalFor(descriptor?.Entitlements)) is { } problem)
            {
                if (problem.Status != StatusCodes.Status404NotFound)
                {
                    // A registered or paid dataset's catalog entry is public, as in the catalog's search; its rows are not.
                    if (!DatasetPath.IsMetadataRead(context.Request))
                    {
                        await Refusal(problem, dataset).ExecuteAsync(context);
                        return;
                    }
                }
                else
                {
                    // A dataset the caller may not know of goes on as a request for an id nobody published: limited,
                    // counted and metered alike, with the same RateLimit headers and 429s, and answered below with the
                    // catalog's 404. Refused before the limiter, it would stand out by its missing headers and by never
                    // being throttled.
                    hiddenId = datasetId;
                    dataset = null;
                }
            }
        }

        var limits = descriptor?.Limits;
        var consumerId = descriptor?.ConsumerId ?? AnonymousPartition.Of(context.Connection.RemoteIpAddress);
        var policy = limits is null
            ? new LimitPolicy(_options.Anonymous.BurstPerSecond, _options.Anonymous.RequestsPerMinute, 0, 0)
            : new LimitPolicy(limits.BurstPerSecond, limits.RequestsPerMinute, limits.MonthlyRequests, limits.MonthlyBytes);

        var keyed = descriptor is not null;
        var account = metadata is not null && metadata.TryGetValue(UsageMetadata, out var usage) && usage == "account";
        if (_options.ForwardWhileDeciding && MayForwardWhileDeciding(context.Request, dataset) && limiter.HasHeadroom(consumerId, policy))
        {
            // The consumer is well inside its limits: the request goes upstream while its decision is on its way, and
            // its response is held at the first byte until the decision is in (see HeldResponse).
            var held = new HeldResponse(context, LimitAsync(consumerId, policy, keyed));
            await ForwardAsync(context, next, clientIp, descriptor, dataset, account, held, default);
            return;
        }

        var verdict = await LimitAsync(consumerId, policy, keyed);
        verdict.WriteHeaders(context.Response.Headers);
        if (!verdict.Allowed)
        {
            if (verdict.Rejection is not null)
            {
                await verdict.Rejection.ExecuteAsync(context);
            }

            return;
        }

        await ForwardAsync(context, hiddenId is null ? next : () => MissingDataset.Answer(context.Request, hiddenId).ExecuteAsync(context),
            clientIp, descriptor, dataset, account, null, verdict);
    }

    /// <summary>
    /// Hands the request to the upstream with its consumer context, counting the response for metering. With a held
    /// response, the verdict arrives on the way; a refused request is answered by its refusal and not metered.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    async ValueTask ForwardAsync(HttpContext context, Func<Task> next, string clientIp, ApiKeyDescriptor? descriptor,
        DatasetDescriptor? dataset, bool account, HeldResponse? held, Verdict verdict)
    {
        var (consumer, signed) = descriptor is null
            ? signedContexts.ForAnonymous(clientIp)
            : signedContexts.ForKey(descriptor, clientIp);
        context.Features.Set(consumer);
        context.Features.Set(signed);

        var body = new CountingResponseBody(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>(), held);
        context.Features.Set<IHttpResponseBodyFeature>(body);
        try
        {
            await next();
            if (held is not null)
            {
                // A response without a body (or YARP's own error status) has not passed the gate yet.
                await held.PassAsync(body.InnerFeature);
            }
        }
        finally
        {
            context.Features.Set(body.InnerFeature);
            if (held is not null)
            {
                verdict = await held.DecisionAsync();
            }

            if (verdict.Allowed)
            {
                // An upstream that answers for data its path does not name (GraphQL) reports the outcome and the products.
                var report = context.Features.Get<UsageReportFeature>();
                Meter(report?.OutcomeStatus ?? context.Response.StatusCode, body.Bytes, descriptor,
                    dataset?.ProductId ?? (report is { Products.Count: > 0 } ? report.Products[0] : null), account, verdict);
            }
        }
    }

    /// <summary>
    /// Reads of a published dataset that is not restricted: a refused read that went ahead costs the upstream one
    /// wasted answer and nothing else. A restricted read is audited upstream, a write changes something, a request
    /// that names no dataset (GraphQL, say) may read restricted data, and downloads stream too much to start early.
    /// </summary>
    static bool MayForwardWhileDeciding(HttpRequest request, DatasetDescriptor? dataset) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && dataset is { Deleted: false, AccessLevel: not AccessLevel.Restricted }
        && !Downloads.DownloadRequests.IsDownload(request);

    // A ValueTask: with the descriptor cached, authentication completes without allocating a task.
    async ValueTask<(IResult? Refusal, ApiKeyDescriptor? Descriptor, bool KeyFailed)> AuthenticateAsync(string key, DateTimeOffset now)
    {
        if (!ApiKeyFormat.IsWellFormed(key))
        {
            return (Problem(StatusCodes.Status401Unauthorized, "Malformed API key", GatewayProblemTypes.MalformedApiKey,
                $"The API key is not in the platform's format ('{ApiKeyFormat.Prefix}' followed by 38 letters and digits, the last six a checksum). " +
                "Copy it again from your account page; a key with a typo is refused before it is looked up."), null, true);
        }

        var (outcome, descriptor) = await keys.Descriptors.GetAsync(ApiKeyFormat.Hash(key));
        if (outcome == LookupOutcome.Unavailable)
        {
            return (Unavailable("The API key cannot be checked right now. Retry in a few seconds."), null, false);
        }

        if (descriptor is null)
        {
            return (Problem(StatusCodes.Status401Unauthorized, "Unknown API key", GatewayProblemTypes.UnknownApiKey,
                "No account holds this API key. Check that you copied the whole key, or create a new one on your account page."), null, true);
        }

        switch (descriptor.StatusAt(now))
        {
            case ApiKeyStatus.Revoked:
                return (Problem(StatusCodes.Status403Forbidden, "Revoked API key", GatewayProblemTypes.RevokedApiKey,
                    descriptor.StatusReason ?? "This API key was revoked. Create a new key on your account page.",
                    ("keyId", descriptor.KeyId)), null, true);
            case ApiKeyStatus.Expired:
                return (Problem(StatusCodes.Status403Forbidden, "Expired API key", GatewayProblemTypes.ExpiredApiKey,
                    descriptor.StatusReason ?? $"This API key expired at {descriptor.ExpiresAt:O}. Create a new key on your account page.",
                    ("keyId", descriptor.KeyId)), null, true);
            case ApiKeyStatus.Suspended:
                return (Problem(StatusCodes.Status402PaymentRequired, "Account suspended", GatewayProblemTypes.AccountSuspended,
                    descriptor.StatusReason ?? "The account of this API key is suspended for non-payment. Pay the open invoices on your account page to restore access.",
                    ("keyId", descriptor.KeyId)), null, false);
        }

        if (breaker.IsOpen && _options.Redis.KeyedTraffic == OutageMode.Refuse)
        {
            return (Unavailable("Limits and quotas cannot be checked right now. Retry in a few seconds."), null, false);
        }

        return (null, descriptor, false);
    }

    /// <summary>
    /// The refusal of a read the caller may not make, worded by the contracts' one factory, with what the gateway
    /// adds: where to choose a plan, and the product a subscription is missing for.
    /// </summary>
    IResult Refusal(DatasetAccessProblem problem, DatasetDescriptor dataset) => problem.Status == StatusCodes.Status403Forbidden
        ? Problem(problem.Status, problem.Title, problem.Type, problem.Detail, ("productId", dataset.ProductId), ("plans", _options.PlansUrl))
        : Problem(problem.Status, problem.Title, problem.Type, problem.Detail, ("plans", _options.PlansUrl));

    // Every request awaits the limiter, so its state machine is pooled rather than allocated per request.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    async ValueTask<Verdict> LimitAsync(string consumerId, LimitPolicy policy, bool keyed)
    {
        string? abandonedCall = null;
        if (breaker.TryEnter())
        {
            var pending = limiter.Decide(consumerId, policy);
            try
            {
                // The multiplexer times out by itself after its own timeout; a separate timer per request is only
                // worth its cost when the configured timeout is shorter than that.
                var decision = await (breaker.NeedsOwnTimeout ? pending.Task.WaitAsync(breaker.Timeout) : pending.Task);
                breaker.Succeeded();
                if (decision.Allowed)
                {
                    return new Verdict(true, policy.MonthlyRequests > 0, decision.Month, null, policy, decision, 0);
                }

                var violated = RateLimitHeaders.Names(decision.Violated);
                return new Verdict(false, false, null, Problem(StatusCodes.Status429TooManyRequests, "Quota exceeded", GatewayProblemTypes.QuotaExceeded,
                    $"This request exceeds the {string.Join(", ", violated)} limit of your {(keyed ? "plan" : "anonymous access")}. Retry after {decision.RetryAfter} s" +
                    (keyed ? ", or move to a plan with higher limits." : ", or use an API key for higher limits."),
                    (RateLimitHeaders.ViolatedPoliciesMember, violated), ("retryAfter", decision.RetryAfter)), policy, decision, 0);
            }
            catch (Exception exception) when (RedisCircuitBreaker.IsRedisFailure(exception))
            {
                breaker.Failed(exception);
                LogLimiterFailed(logger, exception.GetType().Name);
                // Redis may still run the call that carried the request; the flush asks it before charging the month.
                abandonedCall = pending.Abandon();
            }
        }

        if (keyed && _options.Redis.KeyedTraffic == OutageMode.Refuse)
        {
            return new Verdict(false, false, null, Unavailable("Limits and quotas cannot be checked right now. Retry in a few seconds."), policy, default, -1);
        }

        // Redis is away: a per-instance token bucket keeps serving, within the plan's burst.
        var perSecond = keyed ? Math.Max(1, policy.BurstPerSecond) : _options.Redis.AnonymousLocalPerSecond;
        if (local.TryAcquire(consumerId, perSecond, out var remaining))
        {
            return new Verdict(true, false, null, null, policy, default, perSecond, remaining, abandonedCall);
        }

        return new Verdict(false, false, null, Problem(StatusCodes.Status429TooManyRequests, "Quota exceeded", GatewayProblemTypes.QuotaExceeded,
            "This request exceeds the per-second limit that applies while the gateway runs on local limits. Retry after 1 s.",
            (RateLimitHeaders.ViolatedPoliciesMember, new[] { "local" }), ("retryAfter", 1)), policy, default, perSecond);
    }

    /// <summary>
    /// What the limiter decided for a request: whether it goes on, what it counted, its refusal, and what its
    /// headers say. <see cref="LocalPerSecond"/> is the local limit that decided it while Redis was away, 0 when the
    /// script decided, and -1 when nothing could (the refusal then carries its own Retry-After);
    /// <see cref="LocalRemaining"/> is what the local limit left of its second; <see cref="AbandonedCall"/> the limiter
    /// call (<c>instance:number</c>) that carried a request served locally after the gateway stopped waiting for it.
    /// </summary>
    readonly record struct Verdict(
        bool Allowed, bool Charged, string? Month, IResult? Rejection, LimitPolicy Policy, LimitDecision Decision, int LocalPerSecond,
        long LocalRemaining = 0, string? AbandonedCall = null)
    {
        public void WriteHeaders(IHeaderDictionary headers)
        {
            if (LocalPerSecond == 0)
            {
                RateLimitHeaders.Write(headers, Policy, Decision);
                if (!Allowed)
                {
                    headers.RetryAfter = Decision.RetryAfter.ToString(CultureInfo.InvariantCulture);
                }
            }
            else if (LocalPerSecond > 0)
            {
                RateLimitHeaders.WriteLocal(headers, LocalPerSecond, LocalRemaining);
                if (!Allowed)
                {
                    headers.RetryAfter = "1";
                }
            }
        }
    }

    /// <summary>
    /// The response of a request forwarded while its limiter decision is on its way. Nothing of it leaves before the
    /// decision is in: an allowed request gets its RateLimit headers and goes out as the upstream answered; a refused
    /// one gets exactly the refusal it would have got had it waited, and the upstream's answer is dropped.
    /// </summary>
    sealed class HeldResponse(HttpContext context, ValueTask<Verdict> pending) : IResponseGate
    {
        Verdict _verdict;
        bool _decided;
        bool? _open;

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<Verdict> DecisionAsync()
        {
            if (!_decided)
            {
                // The pooled task may be awaited once only; its verdict is kept for the gate and the metering.
                _verdict = await pending;
                _decided = true;
            }

            return _verdict;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<bool> PassAsync(IHttpResponseBodyFeature server)
        {
            if (_open is { } open)
            {
                return open;
            }

            var verdict = await DecisionAsync();
            var response = context.Response;
            if (verdict.Allowed)
            {
                verdict.WriteHeaders(response.Headers);
                _open = true;
                return true;
            }

            _open = false;
            if (!response.HasStarted)
            {
                // The refusal goes out through the server's own body; the counting body drops what the upstream sends.
                var counting = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
                context.Features.Set(server);
                try
                {
                    response.Clear();
                    verdict.WriteHeaders(response.Headers);
                    if (verdict.Rejection is not null)
                    {
                        await verdict.Rejection.ExecuteAsync(context);
                    }
                }
                finally
                {
                    context.Features.Set(counting);
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Journals a completed response under its outcome status. A data request is billable when its status class is one
    /// the plan bills; an account call counts toward the quotas like one, under its own outcome class, and is never billed.
    /// </summary>
    void Meter(int status, long bytes, ApiKeyDescriptor? descriptor, string? productId, bool account, Verdict verdict)
    {
        var charged = verdict.Charged;
        var statusClass = status / 100;
        var billableClasses = descriptor?.Limits.BillableStatusClasses is { Count: > 0 } classes ? classes : _defaultBillable;
        var billable = false;
        foreach (var billableClass in billableClasses)
        {
            if (billableClass.Length == 3 && billableClass[0] - '0' == statusClass)
            {
                billable = true;
                break;
            }
        }

        var flags = (billable || account ? UsageFlags.Counted : UsageFlags.None)
            | (account ? UsageFlags.Account : UsageFlags.None)
            | (charged ? UsageFlags.ChargedToMonthlyQuota : UsageFlags.None)
            | (descriptor is { Limits.MonthlyBytes: > 0 } ? UsageFlags.CountsBytes : UsageFlags.None)
            | (!charged && descriptor is { Limits.MonthlyRequests: > 0 } ? UsageFlags.OwedToMonthlyQuota : UsageFlags.None);
        var consumer = descriptor is null ? ConsumerContextRecord.AnonymousId : UsageRecord.Clean(descriptor.ConsumerId);
        var product = productId is null ? null : UsageRecord.Clean(productId);
        if (!journal.Append(new UsageRecord(time.GetUtcNow().ToUnixTimeSeconds(), consumer, product, status, bytes, flags, verdict.Month,
            flags.HasFlag(UsageFlags.OwedToMonthlyQuota) ? verdict.AbandonedCall : null)))
        {
            LogNotJournaled(logger, status);
        }
    }

    IResult TooManyFailedKeys(int retryAfter) => new WithRetryAfter(retryAfter, Problem(StatusCodes.Status429TooManyRequests,
        "Too many refused API keys", GatewayProblemTypes.TooManyFailedKeys,
        $"Your address sent more than {_options.KeyFailures.Limit} API keys that were refused (malformed, unknown, revoked or expired) within " +
        $"{_options.KeyFailures.WindowSeconds / 60.0:0.#} minutes, so requests with an API key from it are refused for now. Retry after {retryAfter} s " +
        "with a key copied from your account page; requests without a key are served as usual.",
        ("retryAfter", retryAfter)));

    IResult Unavailable(string detail)
    {
        var retryAfter = (int)Math.Ceiling(_options.Redis.OpenSeconds);
        return new WithRetryAfter(retryAfter, Problem(StatusCodes.Status503ServiceUnavailable, "Service temporarily unavailable",
            GatewayProblemTypes.LimiterUnavailable, detail, ("retryAfter", retryAfter)));
    }

    /// <summary>A refusal that also tells the client, in the standard header, when to try again.</summary>
    sealed class WithRetryAfter(int seconds, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }

    static IResult Problem(int status, string title, string type, string detail, params (string Name, object? Value)[] extensions) =>
        Results.Problem(detail, statusCode: status, title: title, type: type,
            extensions: extensions.Length == 0 ? null : extensions.ToDictionary(pair => pair.Name, pair => pair.Value));

    [LoggerMessage(Level = LogLevel.Warning, Message = "The limiter could not reach Redis ({Reason}); serving under local limits")]
    static partial void LogLimiterFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A completed response ({Status}) could not be written to the usage journal")]
    static partial void LogNotJournaled(ILogger logger, int status);
}
