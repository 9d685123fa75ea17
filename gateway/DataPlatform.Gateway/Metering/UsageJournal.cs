using System.Globalization;
using DataPlatform.Gateway.Pipeline;
using DataPlatform.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace DataPlatform.Gateway.Metering;

/// <summary>
/// The local, append-only journal of completed responses. Each response is one small write to a file in the
/// data directory before the request finishes, so a kill -9 of the gateway loses only the requests still in
/// flight: what was written sits in the kernel's page cache and is flushed to Redis by the next process.
/// The journal is cut into segments; <see cref="UsageFlusher"/> adds each closed segment to Redis exactly
/// once and deletes it. While Redis is away, closed segments simply wait: the journal is also the spool.
/// </summary>
/// <remarks>
/// Every instance writes into a folder of its own, holding an exclusive lock on it, so several gateways may
/// share a data directory; a folder whose lock nobody holds belongs to a gateway that died, and any live
/// instance adopts and flushes it.
/// </remarks>
sealed class UsageJournal : IDisposable
{
    public const string SegmentExtension = ".usage";
    const string OpenExtension = ".open";
    const string LockFile = "lock";

    readonly Lock _gate = new();
    readonly FileStream _lock;
    SafeFileHandle _segment;
    string _segmentPath;
    long _offset;
    long _sequence;
    bool _disposed;

    public UsageJournal(IOptions<GatewayOptions> options, IOptions<PlatformOptions> platform)
    {
        var spool = options.Value.Metering.SpoolDirectory;
        Root = Path.IsPathRooted(spool) ? spool : Path.Combine(platform.Value.DataDirectoryPath, spool);
        Directory.CreateDirectory(Root);
        InstanceName = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..12];
        Folder = Directory.CreateDirectory(Path.Combine(Root, InstanceName)).FullName;
        _lock = TryLock(Folder) ?? throw new InvalidOperationException("Could not lock the gateway's own usage folder.");
        (_segment, _segmentPath) = OpenSegment(++_sequence);
    }

    /// <summary>The folder holding every instance's journal.</summary>
    public string Root { get; }

    /// <summary>This instance's folder name, part of every batch id it flushes.</summary>
    public string InstanceName { get; }

    /// <summary>This instance's folder.</summary>
    public string Folder { get; }

    /// <summary>Appends one record; never throws into the request (a full disk loses the count, not the request).</summary>
    public bool Append(in UsageRecord record)
    {
        Span<byte> line = stackalloc byte[UsageRecord.MaxLineBytes];
        if (!record.TryFormat(line, out var length))
        {
            return false;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            try
            {
                RandomAccess.Write(_segment, line[..length], _offset);
                _offset += length;
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    /// <summary>Closes the current segment when it holds records and starts the next one.</summary>
    public void Rotate()
    {
        lock (_gate)
        {
            if (_disposed || _offset == 0)
            {
                return;
            }

            _segment.Dispose();
            File.Move(_segmentPath, Path.ChangeExtension(_segmentPath, SegmentExtension));
            (_segment, _segmentPath) = OpenSegment(++_sequence);
            _offset = 0;
        }
    }

    /// <summary>The closed segments of this instance, oldest first.</summary>
    public IEnumerable<string> ClosedSegments() =>
        Directory.EnumerateFiles(Folder, "*" + SegmentExtension).Order(StringComparer.Ordinal);

    /// <summary>
    /// Locks the folder of a gateway that is gone, if any: returns its lock, or <c>null</c> when a live
    /// instance holds it. Its unfinished segment counts as closed: it ends where the dead process stopped.
    /// </summary>
    public static FileStream? TryAdopt(string folder)
    {
        var adopted = TryLock(folder);
        if (adopted is null)
        {
            return null;
        }

        foreach (var open in Directory.EnumerateFiles(folder, "*" + OpenExtension))
        {
            File.Move(open, Path.ChangeExtension(open, SegmentExtension), overwrite: true);
        }

        return adopted;
    }

    static FileStream? TryLock(string folder)
    {
        try
        {
            // On Linux and macOS, FileShare.None takes an advisory lock that another process (or another
            // gateway in this process) cannot take while this one lives; the kernel drops it on kill -9.
            return new FileStream(Path.Combine(folder, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    (SafeFileHandle, string) OpenSegment(long sequence)
    {
        var path = Path.Combine(Folder, sequence.ToString("D12", CultureInfo.InvariantCulture) + OpenExtension);
        return (File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read), path);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _segment.Dispose();
            if (_offset > 0)
            {
                File.Move(_segmentPath, Path.ChangeExtension(_segmentPath, SegmentExtension));
            }
            else
            {
                File.Delete(_segmentPath);
            }
        }
    }

    /// <summary>Releases the folder's lock; the flusher calls this last, after the final flush.</summary>
    public void ReleaseFolder(bool delete)
    {
        _lock.Dispose();
        if (delete)
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // Left for the next instance to adopt.
            }
        }
    }
}
