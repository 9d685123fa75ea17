using System.Data.Common;

namespace DataPlatform.Catalog.Query;

/// <summary>
/// One page of a row query read straight from the database, a row at a time, for front doors that write each row
/// as it arrives instead of collecting the page first (OData's JSON): no row array or list is built. Dispose it to
/// release the connection.
/// </summary>
sealed class QueryRowStream : IAsyncDisposable
{
    readonly QueryExecutor.OpenStatement _open;
    readonly int _limit;
    readonly Func<long, Task>? _onClosed;
    KeysetPosition? _current;
    bool _closed;

    /// <param name="open">The running statement.</param>
    /// <param name="limit">The page's rows; the statement reads one more only to learn whether a next page exists.</param>
    /// <param name="onClosed">Called once when the stream is disposed, with the rows read: the executor's audit of a
    /// restricted read whose row count is known only at the end (finished, failed or abandoned).</param>
    internal QueryRowStream(QueryExecutor.OpenStatement open, int limit, Func<long, Task>? onClosed = null)
    {
        _open = open;
        _limit = limit;
        _onClosed = onClosed;
    }

    /// <summary>The output columns, in the order of the values.</summary>
    public IReadOnlyList<OutputColumn> Columns => _open.Statement.Outputs;

    /// <summary>The rows read so far.</summary>
    public int Count { get; private set; }

    /// <summary>Where the next page starts, known once <see cref="ReadAsync"/> has returned false; <c>null</c> on the last page.</summary>
    public KeysetPosition? Next { get; private set; }

    /// <summary>The dialect that reads the values of the current row.</summary>
    public SqlDialect Dialect => _open.Dialect;

    /// <summary>The reader positioned on the current row; read values with <see cref="SqlDialect.Read"/>.</summary>
    public DbDataReader Reader => _open.Reader;

    /// <summary>
    /// Moves to the next row of the page. False at the end of the page, when <see cref="Next"/> says whether more
    /// rows follow. Exceeding the statement timeout throws <see cref="QueryLimitException"/>, as the buffered path does.
    /// </summary>
    public async ValueTask<bool> ReadAsync()
    {
        var more = await _open.ReadAsync();
        if (!more)
        {
            return false;
        }

        if (Count == _limit)
        {
            // The statement asks for one row more than the page, only to learn whether a next page exists.
            Next = _current;
            return false;
        }

        Count++;
        if (Count == _limit)
        {
            // Only the last row of a full page can be where the next page starts; reading every row's position
            // would cost an allocation and a boxed read per row.
            _current = _open.Executor.ReadPosition(_open.Reader, _open.Statement);
        }

        return true;
    }

    /// <summary>Stops the statement, returns the connection, then records the read when the executor asked to.</summary>
    public async ValueTask DisposeAsync()
    {
        await _open.DisposeAsync();
        if (!_closed)
        {
            _closed = true;
            if (_onClosed is not null)
            {
                await _onClosed(Count);
            }
        }
    }
}
