using System.Text;
using DataPlatform.ServiceDefaults.Configuration;

namespace DataPlatform.ServiceDefaults.ConsumerContext;

/// <summary>
/// The secret shared by the portal, which signs an anonymous visitor's address with it, and the gateway, which
/// believes that address only when the signature holds (<c>PortalVisitorHeader</c>). It is not the
/// consumer-context secret: the portal is a client of the gateway and must not be able to sign consumer contexts.
/// </summary>
public sealed class PortalProxySecret
{
    /// <summary>The file in the data directory that holds a generated secret.</summary>
    public const string FileName = "portal-proxy.secret";

    PortalProxySecret(byte[] key) => Key = key;

    /// <summary>The HMAC key.</summary>
    public byte[] Key { get; }

    /// <summary>Uses the configured secret, or the one in the data directory, generating it on first start.</summary>
    public static PortalProxySecret Load(PlatformOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.PortalProxySecret))
        {
            if (options.PortalProxySecret.Length < 32)
            {
                throw new InvalidOperationException("DataPlatform:PortalProxySecret must be at least 32 characters long.");
            }

            return new PortalProxySecret(Encoding.UTF8.GetBytes(options.PortalProxySecret));
        }

        return new PortalProxySecret(Encoding.UTF8.GetBytes(GeneratedSecretFile.ReadOrCreate(options, FileName)));
    }
}
