using System.Text;
using DataPlatform.ServiceDefaults.Configuration;

namespace DataPlatform.ServiceDefaults.ConsumerContext;

/// <summary>The secret shared by the gateway, which signs consumer contexts, and the upstreams, which verify them.</summary>
public sealed class ConsumerContextSecret
{
    /// <summary>The file in the data directory that holds a generated secret.</summary>
    public const string FileName = "consumer-context.secret";

    ConsumerContextSecret(byte[] key) => Key = key;

    /// <summary>The HMAC key.</summary>
    public byte[] Key { get; }

    /// <summary>Uses the configured secret, or the one in the data directory, generating it on first start.</summary>
    public static ConsumerContextSecret Load(PlatformOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ConsumerContextSecret))
        {
            if (options.ConsumerContextSecret.Length < 32)
            {
                throw new InvalidOperationException("DataPlatform:ConsumerContextSecret must be at least 32 characters long.");
            }

            return new ConsumerContextSecret(Encoding.UTF8.GetBytes(options.ConsumerContextSecret));
        }

        return new ConsumerContextSecret(Encoding.UTF8.GetBytes(GeneratedSecretFile.ReadOrCreate(options, FileName)));
    }
}
