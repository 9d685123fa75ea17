using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataPlatform.Billing.Tests.Stripe;

/// <summary>One request Stripe.net sent to the fake.</summary>
public sealed record StripeCall(string Method, string Path, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey);

/// <summary>
/// The one fake the tests allow: a local HTTP stand-in for the parts of Stripe's API that billing calls (customers,
/// Billing Meters, meter events and their summaries). It records every request, keeps meter events by identifier
/// as Stripe does (a second event with the same identifier is answered 400), and can be told to fail the next
/// meter event requests with given status codes.
/// </summary>
public sealed class StripeFake : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentQueue<StripeCall> _calls = new();
    readonly ConcurrentQueue<int> _failures = new();
    readonly ConcurrentDictionary<string, (string Customer, string EventName, long Value, long Timestamp)> _events = new();
    readonly ConcurrentDictionary<string, JsonObject> _meters = new();
    readonly ConcurrentDictionary<string, string> _customersByAccount = new();
    int _sequence;

    public StripeFake()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public string Url { get; }

    public IReadOnlyList<StripeCall> Calls => _calls.ToList();

    /// <summary>Meter event requests, in the order they arrived, including refused and failed ones.</summary>
    public IReadOnlyList<StripeCall> MeterEventCalls => Calls.Where(c => c.Path == "/v1/billing/meter_events").ToList();

    /// <summary>The events Stripe holds, by identifier.</summary>
    public IReadOnlyDictionary<string, long> AcceptedEvents => _events.ToDictionary(e => e.Key, e => e.Value.Value);

    public string? CustomerOf(string accountId) => _customersByAccount.GetValueOrDefault(accountId);

    /// <summary>The next meter event requests fail with these statuses, one each.</summary>
    public void FailNextMeterEvents(params int[] statuses)
    {
        foreach (var status in statuses)
        {
            _failures.Enqueue(status);
        }
    }

    /// <summary>Stores an event as if an earlier, interrupted sync had delivered it.</summary>
    public void Preload(string identifier, string customer, string eventName, long value, long timestamp) =>
        _events[identifier] = (customer, eventName, value, timestamp);

    async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var form = new Dictionary<string, string>();
        if (request.HasFormContentType)
        {
            foreach (var (key, value) in await request.ReadFormAsync())
            {
                form[key] = value.ToString();
            }
        }

        foreach (var (key, value) in request.Query)
        {
            form[key] = value.ToString();
        }

        _calls.Enqueue(new StripeCall(request.Method, request.Path.Value!, form, request.Headers["Idempotency-Key"].FirstOrDefault()));
        var path = request.Path.Value!;
        var (status, body) = (request.Method, path) switch
        {
            ("POST", "/v1/customers") => Customer(form),
            ("GET", "/v1/billing/meters") => (200, List(_meters.Values.Select(m => (JsonNode)m.DeepClone()))),
            ("POST", "/v1/billing/meters") => Meter(form),
            ("POST", "/v1/billing/meter_events") => MeterEvent(form),
            ("GET", _) when path.StartsWith("/v1/billing/meters/", StringComparison.Ordinal) && path.EndsWith("/event_summaries", StringComparison.Ordinal) =>
                Summaries(path.Split('/')[4], form),
            _ => (404, Error("invalid_request_error", $"Unrecognized request URL ({request.Method}: {path}).")),
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    (int, JsonNode) Customer(Dictionary<string, string> form)
    {
        var id = "cus_" + Interlocked.Increment(ref _sequence);
        var accountId = form.GetValueOrDefault("metadata[account_id]") ?? "";
        if (!_customersByAccount.TryAdd(accountId, id))
        {
            id = _customersByAccount[accountId];
        }

        return (200, new JsonObject
        {
            ["id"] = id,
            ["object"] = "customer",
            ["name"] = form.GetValueOrDefault("name"),
            ["email"] = form.GetValueOrDefault("email"),
            ["metadata"] = new JsonObject { ["account_id"] = accountId },
        });
    }

    (int, JsonNode) Meter(Dictionary<string, string> form)
    {
        var eventName = form["event_name"];
        var meter = _meters.GetOrAdd(eventName, _ => new JsonObject
        {
            ["id"] = "mtr_" + Interlocked.Increment(ref _sequence),
            ["object"] = "billing.meter",
            ["event_name"] = eventName,
            ["display_name"] = form.GetValueOrDefault("display_name"),
            ["status"] = "active",
        });
        return (200, meter.DeepClone());
    }

    (int, JsonNode) MeterEvent(Dictionary<string, string> form)
    {
        if (_failures.TryDequeue(out var failure))
        {
            return (failure, Error(failure == 429 ? "rate_limit_error" : "api_error", $"Injected failure {failure}."));
        }

        var identifier = form["identifier"];
        var value = long.Parse(form["payload[value]"], CultureInfo.InvariantCulture);
        var timestamp = long.Parse(form["timestamp"], CultureInfo.InvariantCulture);
        if (!_events.TryAdd(identifier, (form["payload[stripe_customer_id]"], form["event_name"], value, timestamp)))
        {
            return (400, Error("invalid_request_error", $"An event already exists with identifier {identifier}."));
        }

        return (200, new JsonObject
        {
            ["object"] = "billing.meter_event",
            ["event_name"] = form["event_name"],
            ["identifier"] = identifier,
            ["timestamp"] = timestamp,
            ["created"] = timestamp,
            ["livemode"] = false,
            ["payload"] = new JsonObject { ["stripe_customer_id"] = form["payload[stripe_customer_id]"], ["value"] = form["payload[value]"] },
        });
    }

    (int, JsonNode) Summaries(string meterId, Dictionary<string, string> query)
    {
        var meter = _meters.Values.FirstOrDefault(m => (string?)m["id"] == meterId);
        if (meter is null)
        {
            return (404, Error("invalid_request_error", $"No such meter: '{meterId}'"));
        }

        var start = long.Parse(query["start_time"], CultureInfo.InvariantCulture);
        var end = long.Parse(query["end_time"], CultureInfo.InvariantCulture);
        var total = _events.Values
            .Where(e => e.EventName == (string?)meter["event_name"] && e.Customer == query["customer"] && e.Timestamp >= start && e.Timestamp < end)
            .Sum(e => e.Value);
        return (200, List([new JsonObject
        {
            ["id"] = "mtrs_" + Interlocked.Increment(ref _sequence),
            ["object"] = "billing.meter_event_summary",
            ["aggregated_value"] = total,
            ["start_time"] = start,
            ["end_time"] = end,
            ["meter"] = meterId,
            ["livemode"] = false,
        }]));
    }

    static JsonObject List(IEnumerable<JsonNode> items) =>
        new() { ["object"] = "list", ["data"] = new JsonArray(items.ToArray()), ["has_more"] = false, ["url"] = "/v1/list" };

    static JsonObject Error(string type, string message) => new() { ["error"] = new JsonObject { ["type"] = type, ["message"] = message } };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
