using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.Features;

namespace DataPlatform.Gateway.Metering;

/// <summary>
/// Counts the response body bytes of a request as they pass, without buffering: the body still streams
/// straight through to the client. It sits inside response compression, so it counts the data sent, not
/// its compressed size, which keeps a bill independent of the client's Accept-Encoding. With a gate, nothing
/// passes before the gate opens, and everything is dropped (and not counted) if it stays shut.
/// </summary>
sealed class CountingResponseBody(IHttpResponseBodyFeature inner, IResponseGate? gate = null) : Stream, IHttpResponseBodyFeature
{
    const int FileChunkSize = 64 * 1024;

    CountingPipeWriter? _writer;
    IResponseGate? _gate = gate;
    bool _shut;

    public long Bytes { get; private set; }

    public IHttpResponseBodyFeature InnerFeature => inner;

    public Stream Stream => this;

    public PipeWriter Writer => _writer ??= new CountingPipeWriter(inner.Writer, this);

    public void DisableBuffering() => inner.DisableBuffering();

    /// <summary>True once bytes may pass straight through: no gate left to ask, and none that stayed shut.</summary>
    bool Open => _gate is null && !_shut;

    public Task StartAsync(CancellationToken cancellationToken = default) =>
        Open ? inner.StartAsync(cancellationToken) : GatedAsync(() => inner.StartAsync(cancellationToken));

    /// <summary>Whether bytes may pass: the gate, if any, is asked once and its answer kept.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    async ValueTask<bool> PassAsync()
    {
        if (_gate is { } gate)
        {
            var open = await gate.PassAsync(inner);
            _shut = !open;
            _gate = null;
        }

        return !_shut;
    }

    // Kestrel refuses synchronous writes by default and YARP writes asynchronously, so this blocks only for a
    // caller that chose synchronous I/O, and only until the decision is in.
    bool Pass() => Open || (_gate is not null && PassAsync().AsTask().GetAwaiter().GetResult());

    async Task GatedAsync(Func<Task> operation)
    {
        if (await PassAsync())
        {
            await operation();
        }
    }

    /// <summary>
    /// Sends a region of a file by reading it straight into the server's response buffers, 64 KiB at a time, and
    /// counts each chunk as it is handed over. The server's own send-file would be no faster: Kestrel has no
    /// sendfile(2) and copies through ASP.NET's stream fallback, a 16 KiB buffer with a thread-pool hop per read.
    /// Reading into the pipe's memory saves that copy and the hops (bench/downloads.sh measures the difference).
    /// </summary>
    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        if (!await PassAsync())
        {
            return;
        }

        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        var length = RandomAccess.GetLength(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, length);
        var remaining = count ?? length - offset;
        ArgumentOutOfRangeException.ThrowIfNegative(remaining, nameof(count));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(remaining, length - offset, nameof(count));
        cancellationToken.ThrowIfCancellationRequested();

        // Headers first, so that every chunk goes into the connection's own buffers rather than a staging copy.
        await inner.StartAsync(cancellationToken);
        var writer = inner.Writer;
        while (remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var memory = writer.GetMemory(FileChunkSize);
            // A synchronous read on purpose: on Linux .NET runs an "asynchronous" file read as this same blocking
            // read on a pool thread, so awaiting one would only add a thread hop per chunk.
            var read = RandomAccess.Read(file, memory.Span[..(int)Math.Min(memory.Length, remaining)], offset);
            if (read == 0)
            {
                throw new IOException($"The file {path} ended {remaining} bytes before the range to send.");
            }

            writer.Advance(read);
            Bytes += read;
            offset += read;
            remaining -= read;
            var flushed = await writer.FlushAsync(cancellationToken);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                // The client has gone: nothing more can be sent, and nothing more is counted.
                return;
            }
        }
    }

    public Task CompleteAsync() => Open ? inner.CompleteAsync() : GatedAsync(inner.CompleteAsync);

    internal void Count(long bytes) => Bytes += bytes;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
        if (Pass())
        {
            inner.Stream.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        Open ? inner.Stream.FlushAsync(cancellationToken) : GatedAsync(() => inner.Stream.FlushAsync(cancellationToken));

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Pass())
        {
            inner.Stream.Write(buffer);
            Bytes += buffer.Length;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Open)
        {
            return GatedWriteAsync(buffer, cancellationToken);
        }

        Bytes += buffer.Length;
        return inner.Stream.WriteAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    async ValueTask GatedWriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (await PassAsync())
        {
            Bytes += buffer.Length;
            await inner.Stream.WriteAsync(buffer, cancellationToken);
        }
    }

    sealed class CountingPipeWriter(PipeWriter inner, CountingResponseBody owner) : PipeWriter
    {
        byte[]? _dropped;

        public override void Advance(int bytes)
        {
            if (!owner._shut)
            {
                inner.Advance(bytes);
                owner.Count(bytes);
            }
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        // System.Text.Json asks how much is buffered to decide when to flush (the gateway's own 404s are written so).
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => owner._shut ? 0 : inner.UnflushedBytes;

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
            await owner.PassAsync() ? await inner.FlushAsync(cancellationToken) : default;

        // Memory handed out is written before any flush, so the gate is asked here; a shut gate gets a scratch buffer.
        public override Memory<byte> GetMemory(int sizeHint = 0) =>
            owner.Pass() ? inner.GetMemory(sizeHint) : Dropped(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) =>
            owner.Pass() ? inner.GetSpan(sizeHint) : Dropped(sizeHint);

        byte[] Dropped(int sizeHint) =>
            _dropped is { } dropped && dropped.Length >= Math.Max(sizeHint, 1) ? dropped : _dropped = new byte[Math.Max(sizeHint, 4096)];
    }
}

/// <summary>Decides, before the first byte of a response leaves, whether it may leave at all.</summary>
interface IResponseGate
{
    /// <summary>
    /// <c>true</c> to let the response through; <c>false</c> when the gate answered the request itself, through
    /// <paramref name="server"/>, the body the counting body wraps.
    /// </summary>
    ValueTask<bool> PassAsync(IHttpResponseBodyFeature server);
}
