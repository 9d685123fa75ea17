using System.Diagnostics;
using System.Globalization;

namespace DataPlatform.Publisher;

/// <summary>Counts the bytes and lines read from a file, for the progress bar.</summary>
sealed class ProgressStream(Stream inner) : Stream
{
    long _bytes;
    long _lines;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Lines => Interlocked.Read(ref _lines);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        return Count(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    int Count(ReadOnlySpan<byte> read)
    {
        Interlocked.Add(ref _lines, read.Count((byte)'\n'));
        Interlocked.Add(ref _bytes, read.Length);
        return read.Length;
    }
}

/// <summary>
/// A one-line progress bar: percentage, rows sent, rows per second and the time left. It is written by hand
/// because it is one line of text redrawn four times a second; on a redirected output it prints a line
/// every five seconds instead.
/// </summary>
sealed class ProgressBar : IDisposable
{
    const int Width = 30;

    readonly TextWriter _output;
    readonly ProgressStream _stream;
    readonly long _total;
    readonly long _started = Stopwatch.GetTimestamp();
    readonly bool _interactive = !Console.IsErrorRedirected;
    readonly Timer _timer;

    public ProgressBar(TextWriter output, ProgressStream stream, long total)
    {
        _output = output;
        _stream = stream;
        _total = Math.Max(total, 1);
        var period = _interactive ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5);
        _timer = new Timer(_ => Draw(final: false), null, period, period);
    }

    public void Dispose()
    {
        _timer.Dispose();
        Draw(final: true);
    }

    void Draw(bool final)
    {
        var bytes = _stream.Bytes;
        var rows = Math.Max(0, _stream.Lines - 1);
        var seconds = Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 0.001);
        var fraction = Math.Min(1.0, (double)bytes / _total);
        var eta = bytes == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(seconds / fraction - seconds);
        var filled = (int)(fraction * Width);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', Width - filled)}] {fraction,4:P0}  {rows:N0} rows  {rows / seconds:N0} rows/s  ETA {eta:m\\:ss}");
        lock (_output)
        {
            if (_interactive)
            {
                _output.Write("\r" + line);
                if (final)
                {
                    _output.WriteLine();
                }
            }
            else
            {
                _output.WriteLine(line);
            }
        }
    }
}
