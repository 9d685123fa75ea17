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
public sealed record StripeCall(string Method, string Path, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey)
{
    /// <summary>True when the fake answered from an earlier request with the same idempotency key, as Stripe does.</summary>
    public bool Replayed { get; init; }
}

/// <summary>A Stripe Subscription as the fake holds it.</summary>
public sealed record FakeSubscription(string Id, string Customer, IReadOnlyList<(string ItemId, string Price)> Items, bool CancelAtPeriodEnd, string Status);

/// <summary>
/// The one fake the tests allow: a local HTTP stand-in for the parts of Stripe's API that billing calls (customers,
/// Billing Meters, meter events and their summaries, products, prices and subscriptions). It records every request,
/// keeps meter events by identifier as Stripe does (a second event with the same identifier is answered 400), answers
/// a repeated idempotency key with the first answer as Stripe does, can be told to fail the next meter event requests
/// with given status codes, and can drop the answer to a request it has carried out (a connection lost on the way back).
/// </summary>
public sealed class StripeFake : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentQueue<StripeCall> _calls = new();
    readonly ConcurrentQueue<int> _failures = new();
    readonly ConcurrentDictionary<string, (string Customer, string EventName, long Value, long Timestamp)> _events = new();
    readonly ConcurrentDictionary<string, JsonObject> _meters = new();
    readonly ConcurrentDictionary<string, string> _customersByAccount = new();
    readonly ConcurrentDictionary<string, (int Status, string Body)> _idempotent = new();
    readonly ConcurrentDictionary<string, Dictionary<string, string>> _products = new();
    readonly ConcurrentDictionary<string, Dictionary<string, string>> _prices = new();
    readonly ConcurrentDictionary<string, FakeSubscription> _subscriptions = new();
    readonly ConcurrentQueue<string> _dropAnswers = new();
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

    /// <summary>The products Stripe holds, by id, with the form they were created from.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, string>> Products => _products.ToDictionary(p => p.Key, p => p.Value);

    /// <summary>The prices Stripe holds, by id, with the form they were created from.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, string>> Prices => _prices.ToDictionary(p => p.Key, p => p.Value);

    public IReadOnlyDictionary<string, FakeSubscription> Subscriptions => _subscriptions.ToDictionary(p => p.Key, p => p.Value);

    /// <summary>The next POST to <paramref name="path"/> is carried out, and then the connection is cut before the answer.</summary>
    public void DropNextAnswerTo(string path) => _dropAnswers.Enqueue(path);

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

        var idempotencyKey = request.Headers["Idempotency-Key"].FirstOrDefault();
        var path = request.Path.Value!;
        if (request.Method == "POST" && idempotencyKey is not null && _idempotent.TryGetValue(idempotencyKey, out var earlier))
        {
            _calls.Enqueue(new StripeCall(request.Method, path, form, idempotencyKey) { Replayed = true });
            context.Response.StatusCode = earlier.Status;
            context.Response.ContentType = "application/json";
            context.Response.Headers["Idempotent-Replayed"] = "true";
            await context.Response.WriteAsync(earlier.Body);
            return;
        }

        _calls.Enqueue(new StripeCall(request.Method, path, form, idempotencyKey));
        var (status, body) = (request.Method, path) switch
        {
            ("POST", "/v1/products") => Product(form),
            ("POST", "/v1/prices") => Price(form),
            ("POST", "/v1/subscriptions") => CreateSubscription(form),
            ("GET", _) when path.StartsWith("/v1/subscriptions/", StringComparison.Ordinal) => SubscriptionAnswer(path["/v1/subscriptions/".Length..]),
            ("POST", _) when path.StartsWith("/v1/subscriptions/", StringComparison.Ordinal) => UpdateSubscription(path["/v1/subscriptions/".Length..], form),
            ("DELETE", _) when path.StartsWith("/v1/subscriptions/", StringComparison.Ordinal) => CancelSubscription(path["/v1/subscriptions/".Length..]),
            ("POST", "/v1/customers") => Customer(form),
            ("GET", "/v1/billing/meters") => (200, List(_meters.Values.Select(m => (JsonNode)m.DeepClone()))),
            ("POST", "/v1/billing/meters") => Meter(form),
            ("POST", "/v1/billing/meter_events") => MeterEvent(form),
            ("GET", _) when path.StartsWith("/v1/billing/meters/", StringComparison.Ordinal) && path.EndsWith("/event_summaries", StringComparison.Ordinal) =>
                Summaries(path.Split('/')[4], form),
            _ => (404, Error("invalid_request_error", $"Unrecognized request URL ({request.Method}: {path}).")),
        };
        var text = body.ToJsonString();
        if (request.Method == "POST" && idempotencyKey is not null && status is >= 200 and < 300)
        {
            _idempotent[idempotencyKey] = (status, text);
        }

        if (request.Method == "POST" && _dropAnswers.TryPeek(out var drop) && drop == path && _dropAnswers.TryDequeue(out _))
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(text);
    }

    (int, JsonNode) Product(Dictionary<string, string> form)
    {
        var id = form.GetValueOrDefault("id") ?? "prod_" + Interlocked.Increment(ref _sequence);
        if (!_products.TryAdd(id, form))
        {
            return (400, Error("invalid_request_error", $"Product already exists: {id}", "resource_already_exists"));
        }

        return (200, new JsonObject { ["id"] = id, ["object"] = "product", ["name"] = form.GetValueOrDefault("name"), ["active"] = true });
    }

    (int, JsonNode) Price(Dictionary<string, string> form)
    {
        if (!_products.ContainsKey(form.GetValueOrDefault("product") ?? ""))
        {
            return (400, Error("invalid_request_error", $"No such product: '{form.GetValueOrDefault("product")}'"));
        }

        var id = "price_" + Interlocked.Increment(ref _sequence);
        _prices[id] = form;
        return (200, new JsonObject
        {
            ["id"] = id,
            ["object"] = "price",
            ["active"] = true,
            ["currency"] = form.GetValueOrDefault("currency"),
            ["product"] = form.GetValueOrDefault("product"),
            ["unit_amount"] = form.TryGetValue("unit_amount", out var amount) ? long.Parse(amount, CultureInfo.InvariantCulture) : null,
            ["billing_scheme"] = form.GetValueOrDefault("billing_scheme") ?? "per_unit",
        });
    }

    (int, JsonNode) CreateSubscription(Dictionary<string, string> form)
    {
        var prices = ItemForms(form).Select(i => i.GetValueOrDefault("price")).OfType<string>().ToList();
        if (prices.Any(p => !_prices.ContainsKey(p)))
        {
            return (400, Error("invalid_request_error", "No such price."));
        }

        var subscription = new FakeSubscription("sub_" + Interlocked.Increment(ref _sequence), form["customer"],
            prices.Select(p => ("si_" + Interlocked.Increment(ref _sequence), p)).ToList(), form.GetValueOrDefault("cancel_at_period_end") == "true", "active");
        _subscriptions[subscription.Id] = subscription;
        return SubscriptionAnswer(subscription.Id);
    }

    (int, JsonNode) UpdateSubscription(string id, Dictionary<string, string> form)
    {
        if (!_subscriptions.TryGetValue(id, out var subscription))
        {
            return (404, Error("invalid_request_error", $"No such subscription: '{id}'"));
        }

        var items = subscription.Items.ToList();
        foreach (var item in ItemForms(form))
        {
            if (item.GetValueOrDefault("deleted") == "true")
            {
                items.RemoveAll(i => i.ItemId == item.GetValueOrDefault("id"));
            }
            else if (item.GetValueOrDefault("price") is { } price)
            {
                items.Add(("si_" + Interlocked.Increment(ref _sequence), price));
            }
        }

        _subscriptions[id] = subscription with
        {
            Items = items,
            CancelAtPeriodEnd = form.TryGetValue("cancel_at_period_end", out var cancel) ? cancel == "true" : subscription.CancelAtPeriodEnd,
        };
        return SubscriptionAnswer(id);
    }

    (int, JsonNode) CancelSubscription(string id)
    {
        if (!_subscriptions.TryGetValue(id, out var subscription))
        {
            return (404, Error("invalid_request_error", $"No such subscription: '{id}'"));
        }

        _subscriptions[id] = subscription with { Status = "canceled" };
        return SubscriptionAnswer(id);
    }

    (int, JsonNode) SubscriptionAnswer(string id)
    {
        if (!_subscriptions.TryGetValue(id, out var subscription))
        {
            return (404, Error("invalid_request_error", $"No such subscription: '{id}'"));
        }

        return (200, new JsonObject
        {
            ["id"] = subscription.Id,
            ["object"] = "subscription",
            ["customer"] = subscription.Customer,
            ["status"] = subscription.Status,
            ["cancel_at_period_end"] = subscription.CancelAtPeriodEnd,
            ["currency"] = "vnd",
            ["items"] = List(subscription.Items.Select(i => (JsonNode)new JsonObject
            {
                ["id"] = i.ItemId,
                ["object"] = "subscription_item",
                ["subscription"] = subscription.Id,
                ["price"] = new JsonObject { ["id"] = i.Price, ["object"] = "price", ["currency"] = "vnd" },
            })),
        });
    }

    /// <summary>The <c>items[n][…]</c> fields of a form, one dictionary per item, in order.</summary>
    static IEnumerable<Dictionary<string, string>> ItemForms(Dictionary<string, string> form) =>
        form.Where(f => f.Key.StartsWith("items[", StringComparison.Ordinal))
            .Select(f => (Index: int.Parse(f.Key[6..f.Key.IndexOf(']')], CultureInfo.InvariantCulture), Field: f.Key[(f.Key.IndexOf("][", StringComparison.Ordinal) + 2)..^1], f.Value))
            .GroupBy(f => f.Index).OrderBy(g => g.Key)
            .Select(g => g.ToDictionary(f => f.Field, f => f.Value));

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

    static JsonObject Error(string type, string message, string? code = null) =>
        new() { ["error"] = new JsonObject { ["type"] = type, ["message"] = message, ["code"] = code } };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
