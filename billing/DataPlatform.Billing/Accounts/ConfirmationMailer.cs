using System.Net.Mail;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Accounts;

/// <summary>
/// Sends the sign-up confirmation link. With no SMTP host configured (the embedded default) the link is written to
/// the log instead, so a developer running the platform locally can still confirm an address.
/// </summary>
sealed partial class ConfirmationMailer(IOptions<MailOptions> mail, IOptions<PlatformOptions> platform, ILogger<ConfirmationMailer> logger)
{
    public string LinkFor(string token) =>
        $"{platform.Value.GatewayUrl.TrimEnd('/')}/api/v1/account/confirm?token={Uri.EscapeDataString(token)}";

    public async Task SendAsync(string email, string token, CancellationToken cancellationToken)
    {
        var link = LinkFor(token);
        var pickup = mail.Value.PickupDirectory;
        if (string.IsNullOrWhiteSpace(mail.Value.SmtpHost) && string.IsNullOrWhiteSpace(pickup))
        {
            LogLink(logger, link);
            return;
        }

        using var client = string.IsNullOrWhiteSpace(pickup)
            ? new SmtpClient(mail.Value.SmtpHost, mail.Value.SmtpPort)
            : new SmtpClient { DeliveryMethod = SmtpDeliveryMethod.SpecifiedPickupDirectory, PickupDirectoryLocation = Directory.CreateDirectory(pickup).FullName };
        using var message = new MailMessage(mail.Value.From, email)
        {
            Subject = "Xác nhận địa chỉ e-mail / Confirm your e-mail address",
            Body = $"Mở liên kết sau để kích hoạt tài khoản DataPlatform / Open this link to activate your account:\n\n{link}\n",
            BodyEncoding = System.Text.Encoding.UTF8,
            SubjectEncoding = System.Text.Encoding.UTF8,
            // Eight-bit keeps the link readable in the message source rather than wrapped in quoted-printable.
            BodyTransferEncoding = System.Net.Mime.TransferEncoding.EightBit,
        };
        await client.SendMailAsync(message, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No mail server is configured (Billing:Mail:SmtpHost). Confirm the new sign-up by opening {Link}")]
    static partial void LogLink(ILogger logger, string link);
}
