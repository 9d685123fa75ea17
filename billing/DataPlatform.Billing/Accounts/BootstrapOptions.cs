namespace DataPlatform.Billing.Accounts;

/// <summary>The first admin, bound from <c>Billing:Admin</c>.</summary>
sealed class AdminOptions
{
    public const string SectionName = "Billing:Admin";

    /// <summary>The first admin's e-mail address. Embedded mode generates one when empty.</summary>
    public string? Email { get; set; }

    /// <summary>The first admin's password. Embedded mode generates one when empty.</summary>
    public string? Password { get; set; }
}

/// <summary>Where sign-up e-mails go, bound from <c>Billing:Mail</c>. With no host, links are written to the log.</summary>
sealed class MailOptions
{
    public const string SectionName = "Billing:Mail";

    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 25;

    public string From { get; set; } = "no-reply@dataplatform.local";

    /// <summary>A folder to drop messages into as .eml files instead of sending them, for a mail relay that picks them up.</summary>
    public string? PickupDirectory { get; set; }
}
