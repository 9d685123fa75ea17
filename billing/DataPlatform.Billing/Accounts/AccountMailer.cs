using System.Net.Mail;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;

namespace DataPlatform.Billing.Accounts;

/// <summary>
/// The e-mails accounts receive: the sign-up confirmation link, the notice that someone tried to sign up with an
/// address that has an account already, and member invitations. With no SMTP host or pickup folder configured (the
/// embedded default) links are written to the log instead, so a developer running the platform locally can still
/// follow them; nothing personal (no address) is logged.
/// </summary>
sealed partial class AccountMailer(IOptions<MailOptions> mail, IOptions<PlatformOptions> platform, ILogger<AccountMailer> logger)
{
    string Gateway => platform.Value.GatewayUrl.TrimEnd('/');

    public string ConfirmationLinkFor(string token) => $"{Gateway}/api/v1/account/confirm?token={Uri.EscapeDataString(token)}";

    public string InvitationLinkFor(string token) => $"{Gateway}/api/v1/account/invitations?token={Uri.EscapeDataString(token)}";

    public Task SendConfirmationAsync(string email, string token, CancellationToken cancellationToken)
    {
        var link = ConfirmationLinkFor(token);
        return SendAsync(email, "Xác nhận địa chỉ e-mail / Confirm your e-mail address",
            $"Mở liên kết sau để kích hoạt tài khoản DataPlatform / Open this link to activate your account:\n\n{link}\n",
            () => LogConfirmationLink(logger, link), cancellationToken);
    }

    /// <summary>
    /// Tells the holder of an address that someone tried to open an account with it. Sign-up answers the same
    /// whether or not the address is known, so this mail is how the rightful owner hears of it.
    /// </summary>
    public Task SendSignUpAttemptAsync(string email, CancellationToken cancellationToken) =>
        SendAsync(email, "Có người đăng ký bằng địa chỉ của bạn / Someone tried to sign up with your address",
            "Ai đó vừa đăng ký tài khoản DataPlatform bằng địa chỉ e-mail này, nhưng địa chỉ đã có tài khoản. "
            + "Nếu đó là bạn, hãy đăng nhập; nếu quên mật khẩu, hãy liên hệ quản trị viên. Nếu không phải bạn, có thể bỏ qua thư này.\n\n"
            + "Someone just tried to sign up for DataPlatform with this address, which already has an account. If it was you, "
            + $"sign in at {Gateway}/api/v1/account/sign-in instead. If it was not you, you can ignore this message; nothing changed.\n",
            () => LogSignUpAttempt(logger), cancellationToken);

    public Task SendInvitationAsync(string email, string accountName, string role, string token, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var link = InvitationLinkFor(token);
        return SendAsync(email, $"Lời mời tham gia {accountName} / Invitation to join {accountName}",
            $"Bạn được mời tham gia tài khoản DataPlatform \"{accountName}\" với vai trò {role}. Mở liên kết sau để chấp nhận (hết hạn {expiresAt:yyyy-MM-dd HH:mm} UTC):\n"
            + $"You are invited to join the DataPlatform account \"{accountName}\" as {role}. Open this link to accept (it expires {expiresAt:yyyy-MM-dd HH:mm} UTC):\n\n{link}\n",
            () => LogInvitationLink(logger, link), cancellationToken);
    }

    async Task SendAsync(string email, string subject, string body, Action logInstead, CancellationToken cancellationToken)
    {
        var pickup = mail.Value.PickupDirectory;
        if (string.IsNullOrWhiteSpace(mail.Value.SmtpHost) && string.IsNullOrWhiteSpace(pickup))
        {
            logInstead();
            return;
        }

        using var client = string.IsNullOrWhiteSpace(pickup)
            ? new SmtpClient(mail.Value.SmtpHost, mail.Value.SmtpPort)
            : new SmtpClient { DeliveryMethod = SmtpDeliveryMethod.SpecifiedPickupDirectory, PickupDirectoryLocation = Directory.CreateDirectory(pickup).FullName };
        using var message = new MailMessage(mail.Value.From, email)
        {
            Subject = subject,
            Body = body,
            BodyEncoding = System.Text.Encoding.UTF8,
            SubjectEncoding = System.Text.Encoding.UTF8,
            // Eight-bit keeps the link readable in the message source rather than wrapped in quoted-printable.
            BodyTransferEncoding = System.Net.Mime.TransferEncoding.EightBit,
        };
        await client.SendMailAsync(message, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No mail server is configured (Billing:Mail:SmtpHost). Confirm the new sign-up by opening {Link}")]
    static partial void LogConfirmationLink(ILogger logger, string link);

    [LoggerMessage(Level = LogLevel.Information, Message = "No mail server is configured (Billing:Mail:SmtpHost). The invitee accepts by opening {Link}")]
    static partial void LogInvitationLink(ILogger logger, string link);

    [LoggerMessage(Level = LogLevel.Information, Message = "A sign-up used an address that has an account; with no mail server configured its holder could not be told")]
    static partial void LogSignUpAttempt(ILogger logger);
}
