using System.Globalization;
using System.Net;
using DataPlatform.Contracts.Redis;
using DataPlatform.Gateway.RateLimiting;
using DataPlatform.Gateway.Tests.ApiKeys;
using DataPlatform.Gateway.Tests.Support;

namespace DataPlatform.Gateway.Tests.RateLimiting;

/// <summary>Limits and quotas per plan: exact across instances, free for refused requests, with the IETF headers.</summary>
public abstract class LimitTests(PlatformFixture platform)
{
    static readonly TimeSpan _vietnam = TimeSpan.FromHours(7);

    [Fact]
    public async Task Two_instances_let_through_exactly_the_monthly_quota_of_150_concurrent_requests()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var first = await scenario.StartGatewayAsync();
        var second = await scenario.StartGatewayAsync();
        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(monthly: 100));

        var statuses = await FireAsync(key, 150, first, second);

        Assert.Equal(100, statuses.Count(status => status == HttpStatusCode.OK));
        Assert.Equal(50, statuses.Count(status => status == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Two_instances_let_through_exactly_the_per_minute_rate_of_120_concurrent_requests()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var first = await scenario.StartGatewayAsync();
        var second = await scenario.StartGatewayAsync();
        // 6 a minute is one every 10 s: the burst of 120 is over long before another one is due.
        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(perMinute: 6));

        var statuses = await FireAsync(key, 120, first, second);

        Assert.Equal(6, statuses.Count(status => status == HttpStatusCode.OK));
        Assert.Equal(114, statuses.Count(status => status == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Refused_requests_consume_nothing()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var paid = await scenario.PublishDatasetAsync(Contracts.Access.AccessLevel.Paid, "feed-" + scenario.Unique);
        var (key, descriptor) = await scenario.IssueKeyAsync(GatewayScenario.Plan(perMinute: 2, monthly: 3));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        // 403s (no subscription) before any call that is served: they must leave the quota untouched.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/odata/{paid}/rows")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/odata/any/rows")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/odata/any/rows")).StatusCode);
        var retryAfters = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            using var refused = await client.GetAsync("/odata/any/rows");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            retryAfters.Add(int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture));
        }

        // Ten refusals did not push the next permitted request further away (one every 30 s at 2 a minute)…
        Assert.All(retryAfters, retryAfter => Assert.InRange(retryAfter, 1, 30));
        // …nor count against the monthly quota of 3: two used, one left.
        var month = DateTimeOffset.UtcNow.ToOffset(_vietnam).ToString("yyyyMM", CultureInfo.InvariantCulture);
        Assert.Equal(2, (long)await scenario.Database.HashGetAsync(RedisKeys.LimiterPrefix(descriptor.ConsumerId) + RedisLimiter.QuotaSuffix, RedisLimiter.RequestsField(month)));
    }

    [Fact]
    public async Task Every_limited_response_carries_the_exact_ratelimit_headers()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(burst: 10, perMinute: 100, monthly: 1000, monthlyBytes: 5_000_000));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        // A published open dataset: the second read, well inside the limits, goes upstream while its decision is
        // on its way, and its headers are written when the decision is in (the held response).
        var path = $"/odata/{await scenario.PublishDatasetAsync(Contracts.Access.AccessLevel.Open)}/rows";
        using var first = await client.GetAsync(path);
        using var second = await client.GetAsync(path);
        using var failed = await client.GetAsync(path + "?status=500");

        var now = DateTimeOffset.UtcNow.ToOffset(_vietnam);
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, _vietnam);
        var monthSeconds = (long)(monthStart.AddMonths(1) - monthStart).TotalSeconds;
        var toReset = (long)(monthStart.AddMonths(1) - now).TotalSeconds;
        Assert.Equal(
            $"\"burst\";q=10;w=1, \"minute\";q=100;w=60, \"monthly\";q=1000;w={monthSeconds}, \"monthly-bytes\";q=5000000;qu=\"content-bytes\";w={monthSeconds}",
            first.Headers.GetValues("RateLimit-Policy").Single());
        // A fresh consumer's first call: every value but the seconds to the month's end is fixed.
        var state = first.Headers.GetValues("RateLimit").Single().Split(", ");
        Assert.Equal(4, state.Length);
        Assert.Equal("\"burst\";r=9;t=1", state[0]);
        Assert.Equal("\"minute\";r=99;t=1", state[1]);
        var monthly = state[2].Split(';');
        Assert.Equal(new[] { "\"monthly\"", "r=999" }, monthly[..2]);
        Assert.InRange(long.Parse(monthly[2][2..], CultureInfo.InvariantCulture), toReset - 5, toReset + 5);
        Assert.Equal("\"monthly-bytes\";r=5000000;" + monthly[2], state[3]);
        // The second call has used one more of the month, whatever the time between the two.
        Assert.Equal(first.Headers.GetValues("RateLimit-Policy").Single(), second.Headers.GetValues("RateLimit-Policy").Single());
        Assert.Contains("\"monthly\";r=998;", second.Headers.GetValues("RateLimit").Single(), StringComparison.Ordinal);
        // An upstream's error is a limited response too.
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(first.Headers.GetValues("RateLimit-Policy").Single(), failed.Headers.GetValues("RateLimit-Policy").Single());
        Assert.Contains("\"monthly\";r=997;", failed.Headers.GetValues("RateLimit").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_carries_retry_after_and_lists_the_violated_policies()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(perMinute: 1));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/odata/any/rows")).StatusCode);

        using var refused = await client.GetAsync("/odata/any/rows");

        var problem = await ApiKeyTests.ProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal("https://iana.org/assignments/http-problem-types#quota-exceeded", problem.GetProperty("type").GetString());
        Assert.Equal(new[] { "minute" }, problem.GetProperty("violated-policies").EnumerateArray().Select(item => item.GetString()));
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 55, 60);
        Assert.Matches("\"minute\";r=0;t=(5[5-9]|60)", refused.Headers.GetValues("RateLimit").Single());
    }

    [Fact]
    public async Task The_effective_window_lasts_until_the_next_request_is_allowed_and_never_past_retry_after()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        // 6 a minute frees one request every 10 s: after six at once, the client may make no more within 10 s, not 60.
        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(perMinute: 6));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/odata/any/rows")).StatusCode);
        }

        using var last = await client.GetAsync("/odata/any/rows");
        using var refused = await client.GetAsync("/odata/any/rows");

        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        var (remaining, window) = Item(last, "minute");
        Assert.Equal(0, remaining);
        Assert.InRange(window, 1, 10);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 10);
        (remaining, window) = Item(refused, "minute");
        Assert.Equal(0, remaining);
        // Draft 11, section 6: Retry-After should not point earlier than the end of the effective window.
        Assert.InRange(window, 1, retryAfter);
    }

    [Fact]
    public async Task A_request_refused_by_one_policy_leaves_the_others_as_they_were()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        // One request every 6 s per minute, and one a month: the second request breaks the monthly quota only.
        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(perMinute: 10, monthly: 1));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        using var served = await client.GetAsync("/odata/any/rows");
        using var refused = await client.GetAsync("/odata/any/rows");

        Assert.Equal(9, Item(served, "minute").Remaining);
        var problem = await ApiKeyTests.ProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal(new[] { "monthly" }, problem.GetProperty("violated-policies").EnumerateArray().Select(item => item.GetString()));
        // The refused request took nothing from the minute: its RateLimit says so.
        Assert.Equal(9, Item(refused, "minute").Remaining);
        Assert.Equal(0, Item(refused, "monthly").Remaining);
    }

    [Fact]
    public async Task The_monthly_quota_rolls_over_at_midnight_in_Ho_Chi_Minh_City_not_at_utc_midnight()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var limiter = new RedisLimiter(scenario.Redis);
        var consumer = "rollover-" + scenario.Unique;
        var policy = new LimitPolicy(0, 0, 2, 0);
        // 30 November 2026, 23:59:58 in Hồ Chí Minh City is 16:59:58 UTC.
        var beforeMidnight = Microseconds(new DateTimeOffset(2026, 11, 30, 23, 59, 58, _vietnam));

        var one = await limiter.DecideAsync(consumer, policy, beforeMidnight);
        var two = await limiter.DecideAsync(consumer, policy, beforeMidnight + 500_000);
        var three = await limiter.DecideAsync(consumer, policy, beforeMidnight + 1_999_999);
        var afterMidnight = await limiter.DecideAsync(consumer, policy, beforeMidnight + 2_000_000);
        var utcMidnight = await limiter.DecideAsync(consumer, policy, Microseconds(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)));
        var laterInDecember = await limiter.DecideAsync(consumer, policy, Microseconds(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero)));

        Assert.True(one.Allowed);
        Assert.True(two.Allowed);
        Assert.Equal(ViolatedPolicies.MonthlyRequests, three.Violated);
        Assert.Equal(1, three.RetryAfter);
        Assert.Equal("202611", three.Month);
        Assert.True(afterMidnight.Allowed);
        Assert.Equal("202612", afterMidnight.Month);
        Assert.Equal(31 * 86400, afterMidnight.MonthSeconds);
        // UTC midnight is 07:00 on 1 December there: the same month, so the second December call is the last one.
        Assert.True(utcMidnight.Allowed);
        Assert.Equal(ViolatedPolicies.MonthlyRequests, laterInDecember.Violated);
    }

    [Fact]
    public async Task Concurrent_requests_of_one_consumer_decided_together_each_get_their_own_exact_decision()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var limiter = new RedisLimiter(scenario.Redis);
        var consumer = "batched-" + scenario.Unique;
        var policy = new LimitPolicy(0, 40, 1000, 0);

        // Far more requests at once than one call in flight can take: the later ones queue and share calls.
        var decisions = await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => Task.Run(() => limiter.DecideAsync(consumer, policy))));

        var allowed = decisions.Where(decision => decision.Allowed).ToList();
        Assert.Equal(40, allowed.Count);
        // Every admitted request saw the count after itself: 39 left down to 0, and 1 to 40 used this month.
        Assert.Equal(Enumerable.Range(0, 40).Reverse(), allowed.Select(decision => decision.MinuteRemaining).OrderDescending());
        Assert.Equal(Enumerable.Range(1, 40).Select(used => (long)used), allowed.Select(decision => decision.MonthUsed).Order());
        Assert.All(decisions.Where(decision => !decision.Allowed), refused =>
        {
            Assert.Equal(ViolatedPolicies.Minute, refused.Violated);
            Assert.Equal(0, refused.MinuteRemaining);
            Assert.Equal(40, refused.MonthUsed);
            Assert.InRange(refused.RetryAfter, 1, 2);
        });
        // Refused requests consumed nothing: the month's count is the admitted requests, exactly.
        var month = allowed[0].Month!;
        Assert.Equal(40, (long)await scenario.Database.HashGetAsync(RedisKeys.LimiterPrefix(consumer) + RedisLimiter.QuotaSuffix, RedisLimiter.RequestsField(month)));
    }

    [Fact]
    public async Task A_read_sent_upstream_while_its_decision_was_on_its_way_and_then_refused_gets_the_refusal_and_none_of_the_answer()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var first = await scenario.StartGatewayAsync();
        var second = await scenario.StartGatewayAsync();
        var (key, descriptor) = await scenario.IssueKeyAsync(GatewayScenario.Plan(perMinute: 20, monthly: 1000));
        var path = $"/odata/{await scenario.PublishDatasetAsync(Contracts.Access.AccessLevel.Open)}/rows";
        using var client = await SpendTheMinuteAsync(key, path, first, second);

        using var refused = await client.GetAsync(path + "?bytes=50000");

        // The upstream answered it (the read went ahead)…
        await GatewayScenario.EventuallyAsync(() => Task.FromResult(scenario.Upstream.Received.GetValueOrDefault(path) == 2),
            TimeSpan.FromSeconds(10), "the held read to reach the upstream");
        // …yet the client gets exactly the refusal it would have got had the read waited, and not a byte of the answer.
        var problem = await ApiKeyTests.ProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal("https://iana.org/assignments/http-problem-types#quota-exceeded", problem.GetProperty("type").GetString());
        Assert.Equal(new[] { "minute" }, problem.GetProperty("violated-policies").EnumerateArray().Select(item => item.GetString()));
        Assert.Matches("\"minute\";r=0;t=", refused.Headers.GetValues("RateLimit").Single());
        Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 60);
        Assert.DoesNotContain("xxxx", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Refused, it consumed nothing: the month holds the 20 served reads.
        var month = DateTimeOffset.UtcNow.ToOffset(_vietnam).ToString("yyyyMM", CultureInfo.InvariantCulture);
        Assert.Equal(20, (long)await scenario.Database.HashGetAsync(RedisKeys.LimiterPrefix(descriptor.ConsumerId) + RedisLimiter.QuotaSuffix, RedisLimiter.RequestsField(month)));
    }

    [Theory]
    [InlineData(true, "restricted")]
    [InlineData(false, "open")]
    [InlineData(true, "unknown")]
    public async Task A_refused_read_that_had_to_wait_for_its_decision_never_reaches_the_upstream(bool forwardWhileDeciding, string dataset)
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var first = await scenario.StartGatewayAsync(("Gateway:ForwardWhileDeciding", forwardWhileDeciding ? "true" : "false"));
        var second = await scenario.StartGatewayAsync();
        // A restricted dataset's reads are audited by the catalog, and a path naming no published dataset may read
        // restricted data: those always wait. With the setting off, every read waits.
        var id = $"{dataset}-{scenario.Unique}";
        if (dataset != "unknown")
        {
            await scenario.PublishDatasetAsync(dataset == "open" ? Contracts.Access.AccessLevel.Open : Contracts.Access.AccessLevel.Restricted, datasetId: id);
        }

        var (key, _) = await scenario.IssueKeyAsync(GatewayScenario.Plan(perMinute: 20), entitlements: [Contracts.Access.Entitlements.Dataset(id)]);
        var path = $"/odata/{id}/rows";
        using var client = await SpendTheMinuteAsync(key, path, first, second);

        using var refused = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(1, scenario.Upstream.Received.GetValueOrDefault(path));
    }

    [Fact]
    public async Task Every_key_a_consumer_leaves_in_redis_lives_in_one_cluster_slot()
    {
        await using var scenario = await GatewayScenario.StartAsync(platform);
        var gateway = await scenario.StartGatewayAsync();
        var (key, descriptor) = await scenario.IssueKeyAsync(GatewayScenario.Plan(monthly: 100, monthlyBytes: 1_000_000));
        using var client = GatewayScenario.Client(gateway);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/odata/any/rows?bytes=10")).StatusCode);
        var usage = RedisKeys.Usage(descriptor.ConsumerId, DateTimeOffset.UtcNow);
        await GatewayScenario.EventuallyAsync(async () => await scenario.Database.KeyExistsAsync(usage), TimeSpan.FromSeconds(10), "the usage to be flushed");

        var server = scenario.Redis.GetServer(scenario.Redis.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var found in server.KeysAsync(pattern: "*" + descriptor.ConsumerId + "*"))
        {
            keys.Add(found!);
        }

        // The limiter state, the hour's usage and the flush marker, at least; one slot, so one script may touch them all.
        Assert.True(keys.Count >= 3, string.Join(", ", keys));
        Assert.Single(keys.Select(found => scenario.Redis.HashSlot(found)).Distinct());
    }

    /// <summary>
    /// For a key of 20 a minute: one read of <paramref name="path"/> through <paramref name="first"/>, which leaves
    /// it 19 of the minute (room enough, as far as it knows, to forward the next read while its decision is on its
    /// way), then the other 19 through <paramref name="second"/>. Returns the client of the first instance.
    /// </summary>
    static async Task<HttpClient> SpendTheMinuteAsync(string key, string path, AppHost.RunningGateway first, AppHost.RunningGateway second)
    {
        var client = GatewayScenario.Client(first);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        Assert.All(await FireAsync(key, 19, second), status => Assert.Equal(HttpStatusCode.OK, status));
        return client;
    }

    /// <summary>The <c>r</c> and <c>t</c> of one policy's item in a response's RateLimit field.</summary>
    static (long Remaining, long Window) Item(HttpResponseMessage response, string policy)
    {
        var item = response.Headers.GetValues("RateLimit").Single().Split(", ").Single(item => item.StartsWith($"\"{policy}\";", StringComparison.Ordinal));
        var parameters = item.Split(';').Skip(1).ToDictionary(parameter => parameter[..1], parameter => long.Parse(parameter[2..], CultureInfo.InvariantCulture));
        return (parameters["r"], parameters.GetValueOrDefault("t", -1));
    }

    static long Microseconds(DateTimeOffset moment) => moment.ToUnixTimeMilliseconds() * 1000;

    static async Task<HttpStatusCode[]> FireAsync(string key, int count, params AppHost.RunningGateway[] gateways)
    {
        var clients = gateways.Select(gateway =>
        {
            var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null, MaxConnectionsPerServer = 64 })
            {
                BaseAddress = new Uri(gateway.Url),
            };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            return client;
        }).ToList();
        try
        {
            var requests = Enumerable.Range(0, count).Select(async i =>
            {
                using var response = await clients[i % clients.Count].GetAsync("/odata/any/rows?i=" + i);
                return response.StatusCode;
            }).ToList();
            return await Task.WhenAll(requests);
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }
}

[Collection(EmbeddedCollection.Name)]
public sealed class LimitTests_Embedded(EmbeddedPlatformFixture platform) : LimitTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class LimitTests_Production(ProductionPlatformFixture platform) : LimitTests(platform);
