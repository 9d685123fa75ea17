using System.Globalization;
using System.Text;
using DataPlatform.Catalog.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using SQLitePCL;

namespace DataPlatform.Catalog.Publishing;

/// <summary>
/// Where the second pass writes each row's typed values, column by column in order, without boxing them.
/// </summary>
interface IRowSink
{
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

/// <summary>Streams rows into PostgreSQL's binary COPY.</summary>
sealed class CopySink(NpgsqlBinaryImporter importer) : IRowSink
{
    public void BeginRow(long row)
    {
        importer.StartRow();
        importer.Write(row, NpgsqlDbType.Bigint);
    }

    public void Null(int column) => importer.WriteNull();

    public void Text(int column, ArraySegment<char> value) => importer.Write(value, NpgsqlDbType.Text);

    public void Int64(int column, long value) => importer.Write(value, NpgsqlDbType.Bigint);

    public void Decimal(int column, decimal value) => importer.Write(value, NpgsqlDbType.Numeric);

    public void Boolean(int column, bool value) => importer.Write(value, NpgsqlDbType.Boolean);

    public void Date(int column, DateOnly value) => importer.Write(value, NpgsqlDbType.Date);

    public void Datetime(int column, DateTimeOffset value) => importer.Write(value.UtcDateTime, NpgsqlDbType.TimestampTz);

    public void EndRow()
    {
    }
}

/// <summary>
/// Inserts rows into SQLite with one prepared statement, reused for every row inside the publish's
/// transaction. It binds through SQLitePCL's raw API, as the <c>sqlite3</c> shell's <c>.import</c> does,
/// because going through ADO.NET parameters costs several times more per value and the bulk load is the
/// one place where that shows.
/// </summary>
sealed class SqliteInsertSink : IRowSink, IDisposable
{
    readonly sqlite3 _database;
    readonly sqlite3_stmt _statement;
    byte[] _utf8 = new byte[256];

    public SqliteInsertSink(SqliteConnection connection, string table, IReadOnlyList<string> physicalColumns)
    {
        _database = connection.Handle!;
        var names = string.Join(", ", physicalColumns.Select(SqlIdentifiers.Quote).Prepend(SqlIdentifiers.Quote(SqlIdentifiers.RowNumberColumn)));
        var values = string.Join(", ", Enumerable.Repeat("?", physicalColumns.Count + 1));
        Check(raw.sqlite3_prepare_v2(_database, $"INSERT INTO {SqlIdentifiers.Quote(table)} ({names}) VALUES ({values})", out _statement));
    }

    public void BeginRow(long row) => Check(raw.sqlite3_bind_int64(_statement, 1, row));

    public void Null(int column) => Check(raw.sqlite3_bind_null(_statement, column + 2));

    public void Text(int column, ArraySegment<char> value) => BindText(column, value);

    public void Int64(int column, long value) => Check(raw.sqlite3_bind_int64(_statement, column + 2, value));

    public void Decimal(int column, decimal value) => Check(raw.sqlite3_bind_double(_statement, column + 2, (double)value));

    public void Boolean(int column, bool value) => Check(raw.sqlite3_bind_int64(_statement, column + 2, value ? 1 : 0));

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

    void BindUtf8(int column, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_text(_statement, column + 2, value));

    public void EndRow()
    {
        var result = raw.sqlite3_step(_statement);
        if (result != raw.SQLITE_DONE)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_database).utf8_to_string(), result);
        }

        Check(raw.sqlite3_reset(_statement));
    }

    public void Dispose() => _statement.Dispose();

    void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_database).utf8_to_string(), result);
        }
    }
}
