using System.ComponentModel.DataAnnotations;

namespace DataPlatform.Billing.Invoicing;

/// <summary>Settings for invoices, bound from <c>Billing:Invoicing</c>.</summary>
sealed class InvoicingOptions
{
    public const string SectionName = "Billing:Invoicing";

    /// <summary>VAT in percent; Vietnam's standard rate is 10 %.</summary>
    [Range(0, 100)]
    public decimal VatPercent { get; set; } = 10m;

    /// <summary>The prefix of invoice numbers, followed by the year and a sequence number.</summary>
    [Required]
    public string NumberPrefix { get; set; } = "DP";

    public string SellerName { get; set; } = "Bộ Nội vụ – Nền tảng dữ liệu";

    public string SellerTaxCode { get; set; } = "";

    public string SellerAddress { get; set; } = "Số 8 Tôn Thất Thuyết, Cầu Giấy, Hà Nội";

    /// <summary>How often the closing service checks for a period that ended and invoices it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CloseInterval { get; set; } = TimeSpan.FromMinutes(10);

    public int VatBasisPoints => (int)Math.Round(VatPercent * 100m);
}
