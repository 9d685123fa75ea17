using System.Buffers;
using System.IO.Pipelines;
using System.Text.Unicode;

namespace DataPlatform.Catalog.Publishing;

/// <summary>An upload copied to a temporary file, deleted on dispose.</summary>
sealed class SpooledFile(string path, long bytes) : IDisposable
{
    public string Path { get; } = path;

    /// <summary>The size of the upload without its byte-order mark.</summary>
    public long Bytes { get; } = bytes;

    public void Dispose()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // A file that cannot be deleted now is left to the temp folder's cleanup.
        }
    }
}

/// <summary>
/// Streams an upload to a temporary file in fixed-size chunks, so memory stays flat whatever its size,
/// while checking the size limit and that every byte is valid UTF-8. The file is needed twice (once to
/// infer and validate, once to load), and a request body can be read only once.
/// </summary>
/// <remarks>
/// With a <c>forward</c> pipe, every checked chunk also goes to the pipe as it arrives, so the publisher parses
/// and loads the upload while it streams in; the spooled copy is there for the rare second pass. A failure
/// (not UTF-8, too large) completes the pipe with the same error, so the parser stops on it too.
/// </remarks>
static class CsvSpooler
{
    const int ChunkSize = 1 << 16;

    public static async Task<SpooledFile> SpoolAsync(Stream body, string directory, long maxBytes, CancellationToken cancellationToken, PipeWriter? forward = null)
    {
        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(directory, "dataplatform-upload-" + Guid.NewGuid().ToString("N") + ".csv");
        var spooled = new SpooledFile(path, 0);
        try
        {
            long written = 0, lines = 1;
            // Up to three bytes of a character cut by the chunk boundary wait at the buffer's start for the rest.
            var buffer = new byte[ChunkSize + 4];
            var chars = new char[ChunkSize + 4];
            var pending = 0;
            var first = true;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, ChunkSize, useAsync: true))
            {
                int read;
                while ((read = await ReadChunkAsync(body, buffer.AsMemory(pending, ChunkSize), cancellationToken)) > 0)
                {
                    var bom = first && read >= 3 && buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8);
                    first = false;
                    var start = bom ? 3 : pending;
                    var fresh = buffer.AsMemory(start, pending + read - start);
                    if (written + fresh.Length > maxBytes)
                    {
                        throw TooLarge(maxBytes);
                    }

                    var leftover = Validate(buffer.AsSpan(bom ? 3 : 0, pending + read - (bom ? 3 : 0)), chars, written - pending, lines);
                    lines += fresh.Span.Count((byte)'\n');
                    await file.WriteAsync(fresh, cancellationToken);
                    if (forward is not null && (await forward.WriteAsync(fresh, cancellationToken)).IsCompleted)
                    {
                        // The parser stopped early (it found the file unusable); keep only the spooled copy.
                        forward = null;
                    }

                    written += fresh.Length;
                    buffer.AsSpan(pending + read - leftover, leftover).CopyTo(buffer);
                    pending = leftover;
                }
            }

            if (pending > 0)
            {
                throw NotUtf8(written - pending, lines);
            }

            forward?.Complete();
            return new SpooledFile(path, written);
        }
        catch (Exception e)
        {
            forward?.Complete(e);
            spooled.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks that <paramref name="bytes"/> are UTF-8, apart from a character cut off at the end; returns how
    /// many bytes of such a character are left over for the next chunk.
    /// </summary>
    static int Validate(ReadOnlySpan<byte> bytes, char[] chars, long offset, long lines)
    {
        var status = Utf8.ToUtf16(bytes, chars, out var consumed, out _, replaceInvalidSequences: false, isFinalBlock: false);
        if (status == OperationStatus.InvalidData)
        {
            throw NotUtf8(offset + consumed, lines + bytes[..consumed].Count((byte)'\n'));
        }

        return bytes.Length - consumed;
    }

    /// <summary>Fills as much of <paramref name="buffer"/> as the body gives, so the BOM check sees whole bytes.</summary>
    static async Task<int> ReadChunkAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await body.ReadAsync(buffer[total..], cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    public static PublishFailure TooLarge(long maxBytes) => new(
        StatusCodes.Status413PayloadTooLarge, CatalogProblems.FileTooLarge, "The file is too large",
        $"The file is larger than the limit of {maxBytes:N0} bytes (Catalog:MaxUploadBytes). Split it, or ask an operator to raise the limit.");

    static PublishFailure NotUtf8(long offset, long line) => new(
        StatusCodes.Status400BadRequest, CatalogProblems.InvalidEncoding, "The file is not UTF-8",
        $"The file is not valid UTF-8: the bytes at offset {offset:N0} (line {line:N0}) are not a UTF-8 character. "
        + "It is probably in a legacy Vietnamese encoding such as TCVN3 (ABC), VNI or Windows-1258. "
        + "Save it as UTF-8 (for example \"CSV UTF-8\" in Excel, or convert it with UniKey's converter) and publish again.");
}
