using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DataPlatform.Contracts.Access;
using DataPlatform.Contracts.Problems;

namespace DataPlatform.Platform.Tests.EndToEnd;

/// <summary>
/// A partner agency's whole journey through the gateway, across the three services: a publisher publishes a paid
/// dataset; the partner signs up, confirms, signs in, is refused the data, subscribes to the product, reads it, and
/// finds the call in its usage and the product on its invoice.
/// </summary>
public abstract partial class PartnerFlowTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_partner_signs_up_subscribes_reads_paid_data_and_sees_it_billed()
    {
        var datasetId = "e2e-" + Guid.NewGuid().ToString("N")[..10];
        await PublishPaidDatasetAsync(datasetId, "hr-analytics");

        using var gateway = platform.CreateGatewayClient();
        var email = $"ketoan-{Guid.NewGuid():N}@snv-quangngai.gov.vn";
        using (var signUp = await gateway.PostAsJsonAsync("/api/v1/account/sign-up", new
        {
            kind = "partner",
            email,
            password = "mật-khẩu-đủ-dài-2026",
            displayName = "Lê Thị Hoà",
            organisation = new
            {
                name = "Sở Nội vụ tỉnh Quảng Ngãi",
                taxCode = "4300123456",
                billingContactName = "Lê Thị Hoà",
                billingContactEmail = email,
            },
        }))
        {
            Assert.True(signUp.IsSuccessStatusCode, await signUp.Content.ReadAsStringAsync());
        }

        var token = await ConfirmationTokenAsync(email);
        using (var confirm = await gateway.GetAsync("/api/v1/account/confirm?token=" + token))
        {
            Assert.True(confirm.IsSuccessStatusCode, await confirm.Content.ReadAsStringAsync());
        }

        var signIn = await ReadJsonAsync(await gateway.PostAsJsonAsync("/api/v1/account/sign-in", new { email, password = "mật-khẩu-đủ-dài-2026" }));
        var key = signIn.GetProperty("key").GetString()!;
        Assert.True(ApiKeyFormat.IsWellFormed(key));
        gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", key);

        var recordsPath = $"/odata/{datasetId}/Records?$select=province,headcount&$orderby=province_code";
        using (var refused = await gateway.GetAsync(recordsPath))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal(GatewayProblemTypes.SubscriptionRequired, (await ReadJsonAsync(refused)).GetProperty("type").GetString());
        }

        using (var subscribe = await gateway.PostAsJsonAsync("/api/v1/account/subscription/products", new { productId = "hr-analytics" }))
        {
            Assert.True(subscribe.IsSuccessStatusCode, await subscribe.Content.ReadAsStringAsync());
        }

        // Billing rewrites the key's descriptor and publishes an invalidation; the gateway drops its copy at once.
        var rows = await EventuallyAsync(async () =>
        {
            using var response = await gateway.GetAsync(recordsPath);
            return response.StatusCode == HttpStatusCode.OK ? (await ReadJsonAsync(response)).GetProperty("value") : (JsonElement?)null;
        });
        Assert.Equal(["Hà Nội", "Hồ Chí Minh"], rows.EnumerateArray().Select(r => r.GetProperty("province").GetString()));

        // The gateway flushes its counters every second; the harvester copies them into the ledger.
        using var admin = platform.CreateBillingClient(PlatformFixture.Consumer("acct-e2e-admin", Roles.Admin));
        var productRequests = await EventuallyAsync(async () =>
        {
            (await admin.PostAsync("/api/v1/admin/usage/harvest", null)).Dispose();
            var usage = await ReadJsonAsync(await gateway.GetAsync("/api/v1/account/usage?groupBy=product"));
            var bucket = usage.GetProperty("buckets").EnumerateArray()
                .FirstOrDefault(b => b.GetProperty("bucket").GetString() == "hr-analytics");
            return bucket.ValueKind == JsonValueKind.Object ? bucket.GetProperty("requests").GetInt64() : (long?)null;
        }, TimeSpan.FromSeconds(15));
        Assert.Equal(1, productRequests);

        var invoice = await ReadJsonAsync(await gateway.GetAsync("/api/v1/account/invoices/current"));
        Assert.Equal("VND", invoice.GetProperty("currency").GetString());
        var lines = invoice.GetProperty("lines").EnumerateArray().ToList();
        Assert.Contains(lines, line => line.GetProperty("kind").GetString() == "product");
        Assert.Equal(lines.Sum(line => line.GetProperty("amount").GetInt64()), invoice.GetProperty("subtotal").GetInt64());
        Assert.Equal(invoice.GetProperty("subtotal").GetInt64() + invoice.GetProperty("vat").GetInt64(), invoice.GetProperty("total").GetInt64());
    }

    async Task PublishPaidDatasetAsync(string id, string productId)
    {
        using var publisher = platform.CreateCatalogClient(PlatformFixture.Consumer("acct-e2e-publisher", Roles.Publisher));
        var metadata = new JsonObject
        {
            ["title"] = new JsonObject { ["vi"] = "Biên chế theo tỉnh (thử nghiệm)", ["en"] = "Headcount by province (test)" },
            ["description"] = new JsonObject { ["vi"] = "Dữ liệu do bài kiểm thử tạo ra.", ["en"] = "Made up by an end-to-end test." },
            ["publisher"] = new JsonObject { ["id"] = "vu-to-chuc-bien-che", ["name"] = "Vụ Tổ chức - Biên chế" },
            ["contactPoint"] = new JsonObject { ["name"] = "Phòng Dữ liệu", ["email"] = "dulieu@example.vn" },
            ["themes"] = new JsonArray("Công vụ"),
            ["keywords"] = new JsonArray("biên chế"),
            ["licence"] = new JsonObject { ["id"] = "CC-BY-4.0", ["url"] = "https://creativecommons.org/licenses/by/4.0/" },
            ["accessLevel"] = "paid",
            ["productId"] = productId,
            ["accrualPeriodicity"] = "ANNUAL",
            ["synthetic"] = true,
            ["syntheticDescription"] = "Made up by an end-to-end test.",
            ["columns"] = new JsonArray(),
        };
        using (var put = await publisher.PutAsJsonAsync($"/api/v1/datasets/{id}", metadata))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var csv = new ByteArrayContent(Encoding.UTF8.GetBytes("province_code,province,headcount\n79,Hồ Chí Minh,410\n01,Hà Nội,250\n"));
        csv.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        using var publish = await publisher.PostAsync($"/api/v1/datasets/{id}/versions", csv);
        Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync());
    }

    async Task<string> ConfirmationTokenAsync(string email)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (Directory.Exists(platform.MailDirectory))
            {
                foreach (var file in Directory.GetFiles(platform.MailDirectory, "*.eml"))
                {
                    var message = await File.ReadAllTextAsync(file);
                    if (message.Contains(email, StringComparison.OrdinalIgnoreCase) && TokenPattern().Match(message) is { Success: true } match)
                    {
                        return match.Groups[1].Value;
                    }
                }
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"No confirmation e-mail to {email} arrived in {platform.MailDirectory}.");
    }

    static async Task<T> EventuallyAsync<T>(Func<Task<T?>> attempt, TimeSpan? within = null) where T : struct
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            if (await attempt() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException("The expected outcome did not arrive in time.");
            }

            await Task.Delay(200);
        }
    }

    static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode || (int)response.StatusCode is >= 400 and < 500, body);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    [GeneratedRegex(@"/api/v1/account/confirm\?token=([A-Za-z0-9_%\-]+)")]
    private static partial Regex TokenPattern();
}

[Collection(EmbeddedCollection.Name)]
public sealed class PartnerFlowTests_Embedded(EmbeddedPlatformFixture platform) : PartnerFlowTests(platform);

[Collection(ProductionCollection.Name)]
public sealed class PartnerFlowTests_Production(ProductionPlatformFixture platform) : PartnerFlowTests(platform);
