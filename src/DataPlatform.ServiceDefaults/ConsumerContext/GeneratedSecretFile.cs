using System.Security.Cryptography;
using DataPlatform.ServiceDefaults.Configuration;

namespace DataPlatform.ServiceDefaults.ConsumerContext;

/// <summary>A secret generated at first start and kept in a file of the data directory, readable by its owner only.</summary>
static class GeneratedSecretFile
{
    /// <summary>
    /// Reads the secret in <paramref name="fileName"/>, generating it first when it does not exist. The file is
    /// written under a temporary name and moved into place, so services that start together all read the same
    /// complete secret.
    /// </summary>
    public static string ReadOrCreate(PlatformOptions options, string fileName)
    {
        Directory.CreateDirectory(options.DataDirectoryPath);
        var path = Path.Combine(options.DataDirectoryPath, fileName);
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

        return File.ReadAllText(path).Trim();
    }
}
