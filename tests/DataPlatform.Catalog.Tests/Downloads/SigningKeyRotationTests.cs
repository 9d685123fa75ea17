using System.Text;
using System.Text.Json;
using DataPlatform.Catalog.Downloads;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Tests.Downloads;

/// <summary>
/// The signing key rotates by age, and an old public key stays in the JWKS exactly as long as a cached file's
/// signature names it. Runs on files only, with a clock the test moves.
/// </summary>
public sealed class SigningKeyRotationTests : IDisposable
{
    readonly string _folder = Path.Combine(Path.GetTempPath(), "dataplatform-keys-" + Guid.NewGuid().ToString("N"));
    readonly MovableClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    (SigningKeys Keys, DownloadsJwks Jwks, DownloadPaths Paths) Start()
    {
        var options = Options.Create(new DownloadOptions { RotateSigningKeyAfterDays = 90 });
        var paths = new DownloadPaths(options, Options.Create(new PlatformOptions { DataDirectory = _folder }));
        var keys = new SigningKeys(options, paths, _clock);
        return (keys, new DownloadsJwks(paths, keys, _clock), paths);
    }

    static List<string> Kids(DownloadsJwks jwks) =>
        JsonDocument.Parse(jwks.Json()).RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();

    [Fact]
    public void An_old_key_is_published_while_a_file_signed_with_it_exists_and_dropped_after()
    {
        var (keys, jwks, paths) = Start();
        var first = keys.Current();
        var signature = Path.Combine(paths.Files, "t_old", "public", "data.csv.jws");
        Directory.CreateDirectory(Path.GetDirectoryName(signature)!);
        var header = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"alg\":\"ES256\",\"kid\":\"{first.Kid}\"}}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        File.WriteAllText(signature, header + "..c2ln\n");

        _clock.Advance(TimeSpan.FromDays(89));
        Assert.Equal(first.Kid, keys.Current().Kid);

        _clock.Advance(TimeSpan.FromDays(2));
        var second = keys.Current();
        Assert.NotEqual(first.Kid, second.Kid);
        Assert.Equal([second.Kid, first.Kid], Kids(jwks));

        File.Delete(signature);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([second.Kid], Kids(jwks));
    }

    [Fact]
    public void Keys_survive_a_restart_and_only_the_owner_can_read_them()
    {
        var (keys, _, paths) = Start();
        var kid = keys.Current().Kid;

        var (restarted, jwks, _) = Start();

        Assert.Equal(kid, restarted.Current().Kid);
        Assert.Equal([kid], Kids(jwks));
        var file = Assert.Single(Directory.GetFiles(paths.SigningKeys, "*.json"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        // The published key carries no private part.
        Assert.DoesNotContain("\"d\"", jwks.Json(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    sealed class MovableClock(DateTimeOffset start) : TimeProvider
    {
        DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
