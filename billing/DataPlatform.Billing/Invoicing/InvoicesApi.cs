using DataPlatform.Billing.Accounts;
using DataPlatform.Billing.Subscriptions;
using DataPlatform.ServiceDefaults.ConsumerContext;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Invoicing;

/// <summary>
/// Invoices: the caller's under <c>/api/v1/account/invoices</c>; all of them, generation, payments and voiding under
/// <c>/api/v1/admin/invoices</c>. Without Stripe the platform issues invoices itself and an admin records payments.
/// </summary>
public static class InvoicesApi
{
    public static IEndpointRouteBuilder MapInvoicesApi(this IEndpointRouteBuilder app)
    {
        var own = app.MapGroup("/api/v1/account/invoices").WithTags("Account invoices").AddEndpointFilter(BillingProblems.RequireCaller);
        own.MapGet("/", ListOwnAsync).WithName("ListOwnInvoices").WithSummary("The caller's invoices, newest period first.");
        own.MapGet("/current", CurrentAsync).WithName("CurrentInvoice").WithSummary("A draft of this month's invoice, from usage so far.");
        own.MapGet("/{invoiceId}", GetOwnAsync).WithName("GetOwnInvoice").WithSummary("One of the caller's invoices with its lines.");
        own.MapGet("/{invoiceId}/html", GetOwnHtmlAsync).WithName("GetOwnInvoiceHtml").WithSummary("One of the caller's invoices as a printable page.");

        var admin = app.MapGroup("/api/v1/admin/invoices").WithTags("Admin").AddEndpointFilter(BillingProblems.RequireAdmin);
        admin.MapGet("/", ListAsync).WithName("AdminListInvoices").WithSummary("Invoices, filtered by account, status or period.");
        admin.MapPost("/generate", GenerateAsync).WithName("GenerateInvoices")
            .WithSummary("Invoices one account or every account for a period: issued when the period is over, a draft otherwise.");
        admin.MapGet("/{invoiceId}", GetAsync).WithName("AdminGetInvoice").WithSummary("One invoice.");
        admin.MapGet("/{invoiceId}/html", GetHtmlAsync).WithName("AdminGetInvoiceHtml").WithSummary("One invoice as a printable page.");
        admin.MapPost("/{invoiceId}/payments", RecordPaymentAsync).WithName("RecordPayment").WithSummary("Records the payment of an issued invoice.");
        admin.MapPost("/{invoiceId}/void", VoidAsync).WithName("VoidInvoice").WithSummary("Voids a draft or issued invoice.");
        return app;
    }

    static async Task<Ok<IReadOnlyList<InvoiceView>>> ListOwnAsync(HttpContext context, InvoiceStore invoices, CancellationToken cancellationToken) =>
        TypedResults.Ok(await invoices.ListAsync(context.GetConsumer().AccountId!, null, null, cancellationToken));

    static async Task<Results<Ok<InvoiceView>, ProblemHttpResult>> CurrentAsync(
        HttpContext context, AccountStore accounts, InvoiceStore invoices, TimeProvider time, CancellationToken cancellationToken)
    {
        var accountId = context.GetConsumer().AccountId!;
        if (await accounts.FindAsync(accountId, cancellationToken) is null)
        {
            return BillingProblems.NotFound("Billing has no account for this caller.");
        }

        return TypedResults.Ok(await invoices.GenerateAsync(accountId, BillingPeriod.Containing(time.GetUtcNow()), cancellationToken));
    }

    static async Task<Results<Ok<InvoiceView>, ProblemHttpResult>> GetOwnAsync(
        string invoiceId, HttpContext context, InvoiceStore invoices, CancellationToken cancellationToken)
    {
        var invoice = await invoices.FindAsync(invoiceId, cancellationToken);
        return invoice is null || invoice.AccountId != context.GetConsumer().AccountId
            ? BillingProblems.NotFound($"The account has no invoice '{invoiceId}'.")
            : TypedResults.Ok(invoice);
    }

    static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetOwnHtmlAsync(
        string invoiceId, HttpContext context, InvoiceStore invoices, AccountStore accounts, IOptions<InvoicingOptions> options,
        CancellationToken cancellationToken)
    {
        var invoice = await invoices.FindAsync(invoiceId, cancellationToken);
        return invoice is null || invoice.AccountId != context.GetConsumer().AccountId
            ? BillingProblems.NotFound($"The account has no invoice '{invoiceId}'.")
            : await HtmlAsync(invoice, accounts, options, cancellationToken);
    }

    static async Task<Ok<IReadOnlyList<InvoiceView>>> ListAsync(
        string? accountId, string? status, string? period, InvoiceStore invoices, CancellationToken cancellationToken) =>
        TypedResults.Ok(await invoices.ListAsync(accountId, status, period, cancellationToken));

    static async Task<Results<Ok<IReadOnlyList<InvoiceView>>, ProblemHttpResult>> GenerateAsync(
        GenerateRequest request, AccountStore accounts, InvoiceStore invoices, PeriodClose close, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!BillingPeriod.TryParse(request.Period, out var period))
        {
            return BillingProblems.Invalid("'period' must be a month written yyyy-MM, such as 2026-11.");
        }

        if (period.Start > time.GetUtcNow())
        {
            return BillingProblems.Invalid($"The period {period} has not started yet.");
        }

        if (request.AccountId is null)
        {
            return TypedResults.Ok(await close.InvoiceAllAsync(period, cancellationToken));
        }

        if (await accounts.FindAsync(request.AccountId, cancellationToken) is null)
        {
            return BillingProblems.NotFound($"There is no account '{request.AccountId}'.");
        }

        return TypedResults.Ok<IReadOnlyList<InvoiceView>>([await invoices.GenerateAsync(request.AccountId, period, cancellationToken)]);
    }

    static async Task<Results<Ok<InvoiceView>, ProblemHttpResult>> GetAsync(string invoiceId, InvoiceStore invoices, CancellationToken cancellationToken) =>
        await invoices.FindAsync(invoiceId, cancellationToken) is { } invoice
            ? TypedResults.Ok(invoice)
            : BillingProblems.NotFound($"There is no invoice '{invoiceId}'.");

    static async Task<Results<ContentHttpResult, ProblemHttpResult>> GetHtmlAsync(
        string invoiceId, InvoiceStore invoices, AccountStore accounts, IOptions<InvoicingOptions> options, CancellationToken cancellationToken) =>
        await invoices.FindAsync(invoiceId, cancellationToken) is { } invoice
            ? await HtmlAsync(invoice, accounts, options, cancellationToken)
            : BillingProblems.NotFound($"There is no invoice '{invoiceId}'.");

    static async Task<Results<ContentHttpResult, ProblemHttpResult>> HtmlAsync(
        InvoiceView invoice, AccountStore accounts, IOptions<InvoicingOptions> options, CancellationToken cancellationToken) =>
        TypedResults.Content(
            InvoiceHtml.Render(invoice, await accounts.FindAsync(invoice.AccountId, cancellationToken), options.Value),
            "text/html; charset=utf-8");

    static async Task<Results<Ok<InvoiceView>, ProblemHttpResult>> RecordPaymentAsync(
        string invoiceId, PaymentRequest request, InvoiceStore invoices, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reference))
        {
            return BillingProblems.Invalid("'reference' is required: the bank transfer or receipt number.");
        }

        var invoice = await invoices.FindAsync(invoiceId, cancellationToken);
        if (invoice is null)
        {
            return BillingProblems.NotFound($"There is no invoice '{invoiceId}'.");
        }

        if (request.Amount is { } amount && amount != invoice.Total)
        {
            return BillingProblems.Invalid($"The invoice's total is {invoice.Total} VND, not {amount}.");
        }

        if (!await invoices.MarkPaidAsync(invoiceId, request.Reference.Trim(), request.PaidAt ?? time.GetUtcNow(), cancellationToken))
        {
            return BillingProblems.Conflict($"Only an issued invoice can be paid; this one is {invoice.Status}.");
        }

        return TypedResults.Ok((await invoices.FindAsync(invoiceId, cancellationToken))!);
    }

    static async Task<Results<Ok<InvoiceView>, ProblemHttpResult>> VoidAsync(string invoiceId, InvoiceStore invoices, CancellationToken cancellationToken)
    {
        var invoice = await invoices.FindAsync(invoiceId, cancellationToken);
        if (invoice is null)
        {
            return BillingProblems.NotFound($"There is no invoice '{invoiceId}'.");
        }

        if (!await invoices.VoidAsync(invoiceId, cancellationToken))
        {
            return BillingProblems.Conflict($"A {invoice.Status} invoice cannot be voided.");
        }

        return TypedResults.Ok((await invoices.FindAsync(invoiceId, cancellationToken))!);
    }

    internal sealed record GenerateRequest(string? Period, string? AccountId);

    internal sealed record PaymentRequest(string? Reference, long? Amount, DateTimeOffset? PaidAt);
}
