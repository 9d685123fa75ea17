namespace DataPlatform.Contracts.Downloads;

/// <summary>
/// The handoff of a materialised download from the catalog to the gateway, in the manner of nginx's
/// X-Accel-Redirect: the gateway offers it on a request it signed, the catalog answers with the file's path
/// (relative to the shared downloads directory) and an empty body, and the gateway sends the file from disk
/// itself, with ranges and conditional requests. The bytes then cross one user-space hop instead of two.
/// </summary>
public static class FileHandoff
{
    /// <summary>
    /// Request header the gateway sets (and removes from whatever a client sent) when it can serve files from
    /// the downloads directory. Its value is <see cref="OfferValue"/>.
    /// </summary>
    public const string OfferHeader = "X-DataPlatform-File-Handoff";

    /// <summary>The value of <see cref="OfferHeader"/>.</summary>
    public const string OfferValue = "downloads";

    /// <summary>
    /// Response header naming the file to send, relative to the downloads directory, with forward slashes. The
    /// gateway removes it from every response and honours it only on an answer to a request it offered the
    /// handoff on.
    /// </summary>
    public const string FileHeader = "X-DataPlatform-File";

    /// <summary>The downloads directory's name inside the platform's data directory, the default of both services.</summary>
    public const string DirectoryName = "downloads";
}
