using System.Globalization;
using System.Net;
using System.Text;
using DataPlatform.Billing.Accounts;

namespace DataPlatform.Billing.Invoicing;

/// <summary>
/// An invoice as a self-contained HTML page that prints on one A4 sheet: no scripts, no external resources, print
/// styles that drop the screen margins, and amounts in whole đồng with Vietnamese digit grouping.
/// </summary>
static class InvoiceHtml
{
    static readonly CultureInfo _vietnamese = CultureInfo.GetCultureInfo("vi-VN");

    public static string Render(InvoiceView invoice, Account? account, InvoicingOptions seller)
    {
        static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        var status = invoice.Status switch
        {
            InvoiceStatuses.Draft => "Bản nháp (kỳ chưa kết thúc)",
            InvoiceStatuses.Issued => "Đã phát hành – chờ thanh toán",
            InvoiceStatuses.Paid => "Đã thanh toán",
            _ => "Đã huỷ",
        };
        var buyer = account is null
            ? E(invoice.AccountId)
            : account.Kind == AccountKinds.Partner
                ? $"{E(account.OrganisationName)}<br>Mã số thuế: {E(account.TaxCode)}<br>Người nhận hoá đơn: {E(account.BillingContactName)} ({E(account.BillingContactEmail)})"
                : E(account.Name);

        var rows = new StringBuilder();
        var position = 0;
        foreach (var line in invoice.Lines)
        {
            position++;
            rows.Append(CultureInfo.InvariantCulture, $"""
                <tr><td>{position}</td><td>{E(line.Description)}</td><td class="n">{line.Quantity.ToString("N0", _vietnamese)} {E(line.Unit)}</td><td class="n">{InvoiceCalculator.Dong(line.Amount)}</td></tr>

                """);
        }

        var issued = invoice.IssuedAt?.ToOffset(TimeSpan.FromHours(7)).ToString("dd/MM/yyyy", CultureInfo.InvariantCulture) ?? "—";
        return $$"""
            <!DOCTYPE html>
            <html lang="vi">
            <head>
            <meta charset="utf-8">
            <title>Hoá đơn {{E(invoice.Number ?? "nháp")}} – {{E(invoice.Period)}}</title>
            <style>
              @page { size: A4; margin: 16mm; }
              body { font-family: "Noto Sans", "Segoe UI", Arial, sans-serif; color: #111; max-width: 190mm; margin: 2rem auto; font-size: 11pt; }
              h1 { font-size: 16pt; margin: 0 0 .25rem; }
              .meta, .parties { display: flex; justify-content: space-between; gap: 2rem; margin: 1rem 0; }
              table { width: 100%; border-collapse: collapse; margin-top: 1rem; }
              th, td { border-bottom: 1px solid #ccc; padding: .35rem .5rem; text-align: left; vertical-align: top; }
              td.n, th.n { text-align: right; white-space: nowrap; }
              tfoot td { border: none; font-weight: 600; }
              .status { font-weight: 600; }
              @media print { body { margin: 0; max-width: none; } .noprint { display: none; } tr { break-inside: avoid; } }
            </style>
            </head>
            <body>
            <h1>HOÁ ĐƠN DỊCH VỤ DỮ LIỆU</h1>
            <div class="meta">
              <div>Số: <strong>{{E(invoice.Number ?? "(chưa cấp số)")}}</strong><br>Kỳ: tháng {{E(invoice.Period)}}<br>Ngày phát hành: {{issued}}</div>
              <div class="status">{{E(status)}}</div>
            </div>
            <div class="parties">
              <div><strong>Đơn vị bán</strong><br>{{E(seller.SellerName)}}<br>{{E(seller.SellerAddress)}}<br>Mã số thuế: {{E(seller.SellerTaxCode)}}</div>
              <div><strong>Khách hàng</strong> ({{E(invoice.AccountId)}})<br>{{buyer}}</div>
            </div>
            <table>
              <thead><tr><th>#</th><th>Nội dung</th><th class="n">Số lượng</th><th class="n">Thành tiền</th></tr></thead>
              <tbody>
            {{rows}}  </tbody>
              <tfoot>
                <tr><td></td><td>Cộng tiền hàng</td><td></td><td class="n">{{InvoiceCalculator.Dong(invoice.Subtotal)}}</td></tr>
                <tr><td></td><td>Thuế GTGT {{invoice.VatPercent.ToString("0.##", _vietnamese)}}%</td><td></td><td class="n">{{InvoiceCalculator.Dong(invoice.Vat)}}</td></tr>
                <tr><td></td><td>Tổng thanh toán ({{E(invoice.Currency)}})</td><td></td><td class="n">{{InvoiceCalculator.Dong(invoice.Total)}}</td></tr>
              </tfoot>
            </table>
            </body>
            </html>
            """;
    }
}
