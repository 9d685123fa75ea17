using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using DataPlatform.Catalog.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DataPlatform.Catalog.Publishing;

/// <summary>
/// Where the second pass writes each row's typed values, column by column in order, without boxing them.
/// </summary>
interface IRowSink
{
    /// <summary>Announces how many rows follow before the next batch.</summary>
    void BeginBatch(int rows);

    void BeginRow(long row);

    void Null(int column);

    void Text(int column, ArraySegment<char> value);

    void Int64(int column, long value);

    void Decimal(int column, decimal value);

    void Boolean(int column, bool value);

    void Date(int column, DateOnly value);

    void Datetime(int column, DateTimeOffset value);

    void EndRow();
}

/// <summary>
/// Writes rows in PostgreSQL's binary COPY format (the header, then per row a field count and each field as a
/// length and its bytes in network order) to a raw COPY stream. Npgsql's typed importer does the same, but it
/// goes through a parameter and an async state machine for every value, which profiles of large publishes showed
/// costing more than parsing the CSV; the format is small, stable and documented ("Binary Format" of COPY).
/// </summary>
sealed class PostgresCopySink(Stream copy, int columns) : IRowSink
{
    static readonly long _epochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    static readonly int _epochDay = new DateOnly(2000, 1, 1).DayNumber;
    static readonly byte[] _signature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    readonly byte[] _buffer = new byte[1 << 18];
    readonly short _fields = checked((short)(columns + 1));
    int _used;
    bool _started;

    public void BeginRow(long row)
    {
        if (!_started)
        {
            _started = true;
            WriteHeader();
        }

        BinaryPrimitives.WriteInt16BigEndian(Reserve(2), _fields);
        Int64(-1, row);
    }

    public void BeginBatch(int rows)
    {
    }

    public void Null(int column) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), -1);

    public void Text(int column, ArraySegment<char> value)
    {
        var most = Encoding.UTF8.GetMaxByteCount(value.Count);
        if (4 + most > _buffer.Length)
        {
            // A value longer than the buffer goes out through an array of its own.
            var bytes = Encoding.UTF8.GetBytes(value.Array!, value.Offset, value.Count);
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), bytes.Length);
            Flush();
            copy.Write(bytes);
            return;
        }

        var span = Reserve(4 + most);
        var written = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32BigEndian(span, written);
        _used -= span.Length - 4 - written;
    }

    public void Int64(int column, long value)
    {
        var span = Reserve(12);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], value);
    }

    public void Boolean(int column, bool value)
    {
        var span = Reserve(5);
        BinaryPrimitives.WriteInt32BigEndian(span, 1);
        span[4] = value ? (byte)1 : (byte)0;
    }

    public void Date(int column, DateOnly value)
    {
        var span = Reserve(8);
        BinaryPrimitives.WriteInt32BigEndian(span, 4);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], value.DayNumber - _epochDay);
    }

    /// <summary>Microseconds since 2000-01-01 UTC, truncated from ticks as Npgsql does.</summary>
    public void Datetime(int column, DateTimeOffset value)
    {
        var span = Reserve(12);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], (value.UtcTicks - _epochTicks) / 10);
    }

    /// <summary>
    /// NUMERIC: digit count, weight (of the first base-10000 digit), sign and display scale, then the digits in
    /// base 10000, aligned on the decimal point. The decimal's own scale is kept, so 1.50 stays 1.50.
    /// </summary>
    public void Decimal(int column, decimal value)
    {
        Span<char> text = stackalloc char[40];
        Math.Abs(value).TryFormat(text, out var length, default, CultureInfo.InvariantCulture);
        var point = text[..length].IndexOf('.');
        var whole = point < 0 ? text[..length] : text[..point];
        var fraction = point < 0 ? [] : text[(point + 1)..length];
        var wholeGroups = (whole.Length + 3) / 4;
        var fractionGroups = (fraction.Length + 3) / 4;
        Span<short> digits = stackalloc short[wholeGroups + fractionGroups];
        for (var i = 0; i < wholeGroups; i++)
        {
            // The first group takes what is left over when the whole part is not a multiple of four digits.
            var end = whole.Length - (wholeGroups - 1 - i) * 4;
            digits[i] = (short)Digits(whole[Math.Max(0, end - 4)..end]);
        }

        for (var i = 0; i < fractionGroups; i++)
        {
            var group = fraction.Slice(i * 4, Math.Min(4, fraction.Length - i * 4));
            var padded = Digits(group);
            for (var pad = group.Length; pad < 4; pad++)
            {
                padded *= 10;
            }

            digits[wholeGroups + i] = (short)padded;
        }

        var weight = wholeGroups - 1;
        var first = 0;
        while (first < digits.Length && digits[first] == 0)
        {
            first++;
            weight--;
        }

        var last = digits.Length;
        while (last > first && digits[last - 1] == 0)
        {
            last--;
        }

        var count = last - first;
        var span = Reserve(4 + 8 + count * 2);
        BinaryPrimitives.WriteInt32BigEndian(span, 8 + count * 2);
        BinaryPrimitives.WriteInt16BigEndian(span[4..], (short)count);
        BinaryPrimitives.WriteInt16BigEndian(span[6..], (short)(count == 0 ? 0 : weight));
        BinaryPrimitives.WriteInt16BigEndian(span[8..], value < 0 && count > 0 ? (short)0x4000 : (short)0);
        BinaryPrimitives.WriteInt16BigEndian(span[10..], (short)fraction.Length);
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt16BigEndian(span[(12 + i * 2)..], digits[first + i]);
        }
    }

    public void EndRow()
    {
    }

    /// <summary>Writes the trailer and everything still buffered.</summary>
    public void Finish()
    {
        if (!_started)
        {
            WriteHeader();
        }

        BinaryPrimitives.WriteInt16BigEndian(Reserve(2), -1);
        Flush();
    }

    /// <summary>The signature, then no flags and no header extension.</summary>
    void WriteHeader()
    {
        _signature.CopyTo(Reserve(_signature.Length));
        Reserve(8).Clear();
    }

    static int Digits(ReadOnlySpan<char> text)
    {
        var value = 0;
        foreach (var c in text)
        {
            value = value * 10 + (c - '0');
        }

        return value;
    }

    Span<byte> Reserve(int bytes)
    {
        if (_used + bytes > _buffer.Length)
        {
            Flush();
        }

        var span = _buffer.AsSpan(_used, bytes);
        _used += bytes;
        return span;
    }

    void Flush()
    {
        copy.Write(_buffer, 0, _used);
        _used = 0;
    }
}

/// <summary>
/// Inserts rows into SQLite with prepared statements reused for every row inside the publish's transaction:
/// one that inserts <see cref="RowsPerStatement"/> rows at a time, and a one-row statement for the rest at the
/// end. Several rows per statement spread the statement's fixed cost (stepping, resetting, opening the table
/// cursor) over more values; in profiles the loading thread, not the parser, limited SQLite publishes. It binds
/// through SQLitePCL's raw API, as the <c>sqlite3</c> shell's <c>.import</c> does, because ADO.NET parameters
/// cost several times more per value and the bulk load is the one place where that shows.
/// </summary>
sealed class SqliteInsertSink : IRowSink, IDisposable
{
    const int RowsPerStatement = 32;

    readonly sqlite3 _database;
    readonly sqlite3_stmt _many;
    readonly sqlite3_stmt _one;
    readonly int _width;
    sqlite3_stmt _statement;
    int _offset;
    int _pending;
    int _manyRowsLeft;
    byte[] _utf8 = new byte[256];

    public SqliteInsertSink(SqliteConnection connection, string table, IReadOnlyList<string> physicalColumns)
    {
        _database = connection.Handle!;
        _width = physicalColumns.Count + 1;
        var names = string.Join(", ", physicalColumns.Select(SqlIdentifiers.Quote).Prepend(SqlIdentifiers.Quote(SqlIdentifiers.RowNumberColumn)));
        var row = "(" + string.Join(", ", Enumerable.Repeat("?", _width)) + ")";
        var insert = $"INSERT INTO {SqlIdentifiers.Quote(table)} ({names}) VALUES ";
        var rows = Math.Max(1, Math.Min(RowsPerStatement, 32_000 / _width));
        Check(raw.sqlite3_prepare_v2(_database, insert + string.Join(", ", Enumerable.Repeat(row, rows)), out _many));
        Check(raw.sqlite3_prepare_v2(_database, insert + row, out _one));
        RowsInMany = rows;
        _statement = _many;
    }

    int RowsInMany { get; }

    public void BeginRow(long row)
    {
        _statement = _manyRowsLeft > 0 ? _many : _one;
        Check(raw.sqlite3_bind_int64(_statement, _offset + 1, row));
    }

    public void Null(int column) => Check(raw.sqlite3_bind_null(_statement, _offset + column + 2));

    public void Text(int column, ArraySegment<char> value) => BindText(column, value);

    public void Int64(int column, long value) => Check(raw.sqlite3_bind_int64(_statement, _offset + column + 2, value));

    public void Decimal(int column, decimal value) => Check(raw.sqlite3_bind_double(_statement, _offset + column + 2, (double)value));

    public void Boolean(int column, bool value) => Check(raw.sqlite3_bind_int64(_statement, _offset + column + 2, value ? 1 : 0));

    // "O" is the round-trip format: yyyy-MM-dd for a date, yyyy-MM-ddTHH:mm:ss.fffffffZ for a UTC time, the
    // text form RowReader reads back. The runtime formats it on a fast path, unlike the same custom pattern.
    public void Date(int column, DateOnly value)
    {
        Span<byte> text = stackalloc byte[16];
        value.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture);
        BindUtf8(column, text[..written]);
    }

    public void Datetime(int column, DateTimeOffset value)
    {
        Span<byte> text = stackalloc byte[40];
        value.UtcDateTime.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture);
        BindUtf8(column, text[..written]);
    }

    /// <summary>
    /// Binds text as UTF-8, the database's encoding: the runtime's vectorised encoder is cheaper than letting
    /// SQLite translate UTF-16 itself, which showed in profiles of large publishes.
    /// </summary>
    void BindText(int column, ReadOnlySpan<char> value)
    {
        var needed = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < needed)
        {
            _utf8 = new byte[Math.Max(needed, _utf8.Length * 2)];
        }

        var written = Encoding.UTF8.GetBytes(value, _utf8);
        BindUtf8(column, _utf8.AsSpan(0, written));
    }

    void BindUtf8(int column, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_text(_statement, _offset + column + 2, value));

    /// <summary>Whole groups of the batch go through the many-row statement, the rest one by one.</summary>
    public void BeginBatch(int rows) => _manyRowsLeft = rows - rows % RowsInMany;

    public void EndRow()
    {
        if (_statement == _one)
        {
            Step(_one);
            return;
        }

        _offset += _width;
        _manyRowsLeft--;
        if (++_pending == RowsInMany)
        {
            Step(_many);
            _offset = 0;
            _pending = 0;
        }
    }

    void Step(sqlite3_stmt statement)
    {
        var result = raw.sqlite3_step(statement);
        if (result != raw.SQLITE_DONE)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_database).utf8_to_string(), result);
        }

        Check(raw.sqlite3_reset(statement));
    }

    public void Dispose()
    {
        _many.Dispose();
        _one.Dispose();
    }

    void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_database).utf8_to_string(), result);
        }
    }
}
