using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DataPlatform.Catalog.Datasets;

namespace DataPlatform.Catalog.Publishing;

/// <summary>
/// A block of parsed, typed rows handed from the parsing thread to the loading thread. Values are stored
/// column-typed without boxing: numbers, booleans, dates and datetimes as longs, decimals as decimals, text as
/// slices of one character arena. Batches are recycled, so a publish allocates a handful of them whatever the
/// file's size.
/// </summary>
sealed class RowBatch
{
    public const int Capacity = 4096;

    readonly int _columns;
    readonly long[] _numbers;
    readonly decimal[] _decimals;
    readonly int[] _textStart;
    readonly int[] _textLength;
    readonly bool[] _nulls;
    readonly long[] _rowNumbers = new long[Capacity];
    char[] _arena = new char[1 << 16];
    int _arenaUsed;

    public RowBatch(int columns)
    {
        _columns = columns;
        var cells = columns * Capacity;
        _numbers = new long[cells];
        _decimals = new decimal[cells];
        _textStart = new int[cells];
        _textLength = new int[cells];
        _nulls = new bool[cells];
    }

    public int Count { get; private set; }

    public bool IsFull => Count == Capacity;

    public void Clear()
    {
        Count = 0;
        _arenaUsed = 0;
    }

    /// <summary>Starts a row; its cells are then set by column, and an abandoned row is overwritten by the next.</summary>
    public int BeginRow(long rowNumber)
    {
        _rowNumbers[Count] = rowNumber;
        return Count * _columns;
    }

    /// <summary>Keeps the row begun last.</summary>
    public void CommitRow() => Count++;

    /// <summary>Forgets the row begun last, releasing its text.</summary>
    public void AbandonRow(int arenaMark) => _arenaUsed = arenaMark;

    public int ArenaMark => _arenaUsed;

    public void SetNull(int cell) => _nulls[cell] = true;

    public void SetNumber(int cell, long value)
    {
        _nulls[cell] = false;
        _numbers[cell] = value;
    }

    public void SetDecimal(int cell, decimal value)
    {
        _nulls[cell] = false;
        _decimals[cell] = value;
    }

    public void SetText(int cell, ReadOnlySpan<char> value)
    {
        if (_arenaUsed + value.Length > _arena.Length)
        {
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + value.Length));
        }

        value.CopyTo(_arena.AsSpan(_arenaUsed));
        _nulls[cell] = false;
        _textStart[cell] = _arenaUsed;
        _textLength[cell] = value.Length;
        _arenaUsed += value.Length;
    }

    /// <summary>Writes every row to <paramref name="sink"/>, column by column, in the types of <paramref name="types"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteTo(IRowSink sink, ColumnType[] types)
    {
        sink.BeginBatch(Count);
        for (var row = 0; row < Count; row++)
        {
            sink.BeginRow(_rowNumbers[row]);
            var cell = row * _columns;
            for (var column = 0; column < types.Length; column++, cell++)
            {
                if (_nulls[cell])
                {
                    sink.Null(column);
                    continue;
                }

                switch (types[column])
                {
                    case ColumnType.Integer:
                        sink.Int64(column, _numbers[cell]);
                        break;
                    case ColumnType.Decimal:
                        sink.Decimal(column, _decimals[cell]);
                        break;
                    case ColumnType.Boolean:
                        sink.Boolean(column, _numbers[cell] != 0);
                        break;
                    case ColumnType.Date:
                        sink.Date(column, DateOnly.FromDayNumber((int)_numbers[cell]));
                        break;
                    case ColumnType.Datetime:
                        sink.Datetime(column, new DateTimeOffset(_numbers[cell], TimeSpan.Zero));
                        break;
                    default:
                        sink.Text(column, new ArraySegment<char>(_arena, _textStart[cell], _textLength[cell]));
                        break;
                }
            }

            sink.EndRow();
        }
    }
}

/// <summary>
/// Hands full batches from the parsing thread to the loading thread and back, bounded so that a fast parser
/// waits for a slow database instead of filling memory.
/// </summary>
sealed class BatchQueue : IDisposable
{
    const int InFlight = 4;

    readonly BlockingCollection<RowBatch> _full = new(InFlight);
    readonly BlockingCollection<RowBatch> _free = new();

    public BatchQueue(int columns)
    {
        for (var i = 0; i < InFlight + 1; i++)
        {
            _free.Add(new RowBatch(columns));
        }

        Current = _free.Take();
    }

    /// <summary>The batch the parser fills.</summary>
    public RowBatch Current { get; private set; }

    /// <summary>Sends the current batch to the loader once it is full.</summary>
    public void Flush(CancellationToken cancellationToken)
    {
        if (Current.IsFull)
        {
            _full.Add(Current, cancellationToken);
            Current = _free.Take(cancellationToken);
        }
    }

    /// <summary>Sends what is left and tells the loader that no more rows come.</summary>
    public void Complete(CancellationToken cancellationToken)
    {
        if (Current.Count > 0)
        {
            _full.Add(Current, cancellationToken);
        }

        _full.CompleteAdding();
    }

    /// <summary>The loader's side: writes every batch to <paramref name="sink"/> until the parser is done; returns the rows written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long Drain(IRowSink sink, ColumnType[] types, CancellationToken cancellationToken)
    {
        long rows = 0;
        foreach (var batch in _full.GetConsumingEnumerable(cancellationToken))
        {
            batch.WriteTo(sink, types);
            rows += batch.Count;
            batch.Clear();
            _free.Add(batch, cancellationToken);
        }

        return rows;
    }

    public void Dispose()
    {
        _full.Dispose();
        _free.Dispose();
    }
}
