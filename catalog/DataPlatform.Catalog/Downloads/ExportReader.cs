using System.Runtime.CompilerServices;
using DataPlatform.Catalog.Query;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// The columns of a running export and its rows, read one at a time as the writer asks for them. Dispose it to stop
/// the statement and return its connection (a finished export, a failed one, or a client that went away).
/// </summary>
sealed class ExportRows : IAsyncDisposable
{
    readonly QueryRowStream _stream;
    readonly object?[]? _first;

    internal ExportRows(QueryRowStream stream, object?[]? first)
    {
        _stream = stream;
        _first = first;
        Rows = ReadAsync();
    }

    /// <summary>The output columns, in the order of each row's values.</summary>
    public IReadOnlyList<OutputColumn> Columns => _stream.Columns;

    /// <summary>The rows; enumerate them once.</summary>
    public IAsyncEnumerable<object?[]> Rows { get; }

    /// <summary>The rows handed to the writer so far: what the export carried, for the audit log.</summary>
    public long Count { get; private set; }

    async IAsyncEnumerable<object?[]> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_first is null)
        {
            yield break;
        }

        Count++;
        yield return _first;
        while (await _stream.ReadAsync())
        {
            cancellationToken.ThrowIfCancellationRequested();
            Count++;
            yield return ExportReader.Read(_stream);
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}

/// <summary>
/// Runs a query plan for an export through the query executor, like every other read of rows: the same connection
/// pool, SQLite functions and translation of errors, with the export timeout instead of the statement
/// timeout. The rows stream from the database reader to the file writer instead of being collected into a page:
/// neither driver buffers the result (SQLite steps the statement row by row, Npgsql reads the socket as rows are
/// consumed).
/// </summary>
sealed class ExportReader(QueryExecutor executor)
{
    /// <summary>
    /// Starts the export and reads its first row, so that a query that cannot run, or fails on its first row, fails
    /// here, before a writer has sent anything to the client.
    /// </summary>
    public async Task<ExportRows> OpenAsync(QueryPlan plan, CancellationToken cancellationToken)
    {
        var stream = await executor.ExportAsync(plan, cancellationToken);
        try
        {
            return new ExportRows(stream, await stream.ReadAsync() ? Read(stream) : null);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    internal static object?[] Read(QueryRowStream stream)
    {
        var row = new object?[stream.Columns.Count];
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = stream.Dialect.Read(stream.Reader, i, stream.Columns[i].Type);
        }

        return row;
    }
}
