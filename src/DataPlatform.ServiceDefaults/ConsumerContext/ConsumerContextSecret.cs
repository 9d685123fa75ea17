using System.Security.Cryptography;
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

    /// <summary>
    /// Uses the configured secret, or the one in the data directory, generating it on first start. The
    /// generated file is written under a temporary name and moved into place, so services that start
    /// together all read the same complete secret.
    /// </summary>
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

        Directory.CreateDirectory(options.DataDirectoryPath);
        var path = Path.Combine(options.DataDirectoryPath, FileName);
        if (!File.Exists(path))
        {
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temporary, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another service generated it first; use theirs.
                File.Delete(temporary);
            }
        }

        return new ConsumerContextSecret(Encoding.UTF8.GetBytes(File.ReadAllText(path).Trim()));
    }
}
