using DataPlatform.Catalog.Query;
using ParquetSharp;

namespace DataPlatform.Catalog.Downloads;

/// <summary>
/// Parquet through ParquetSharp (Apache Arrow's C++ writer): one typed column per output column, Snappy
/// compression, and min/max/null-count statistics on every column chunk, so that engines such as DuckDB, Spark or
/// pandas can skip row groups. Rows are gathered one row group at a time, which bounds memory.
/// </summary>
static class ParquetExport
{
    /// <summary>
    /// Parquet decimals have a fixed scale, while the catalog's decimal columns do not; nine places keeps every value
    /// a publisher is likely to load (money, rates, coordinates) exact, with 20 digits before the point.
    /// </summary>
    public const int DecimalScale = 9;

    public static async Task WriteAsync(ExportRows rows, Stream output, int rowGroupSize, CancellationToken cancellationToken)
    {
        var columns = rows.Columns.Select(Definition).ToArray();
        using var properties = new WriterPropertiesBuilder()
            .Compression(Compression.Snappy)
            .EnableStatistics()
            .CreatedBy("DataPlatform (Bộ Nội vụ)")
            .Build();
        // The file is written synchronously by the native writer; callers hand it a file, never a response body.
        using var writer = new ParquetFileWriter(output, columns, logicalTypeFactory: null, properties, keyValueMetadata: null, leaveOpen: true);
        var buffer = new List<object?[]>(Math.Min(rowGroupSize, 1 << 16));
        await foreach (var row in rows.Rows.WithCancellation(cancellationToken))
        {
            buffer.Add(row);
            if (buffer.Count == rowGroupSize)
            {
                WriteRowGroup(writer, rows.Columns, buffer);
                buffer.Clear();
            }
        }

        if (buffer.Count > 0 || rows.Columns.Count == 0)
        {
            WriteRowGroup(writer, rows.Columns, buffer);
        }

        writer.Close();
    }

    static Column Definition(OutputColumn column) => column.Type switch
    {
        ColumnType.Integer => new Column<long?>(column.Name),
        ColumnType.Decimal => new Column<decimal?>(column.Name, LogicalType.Decimal(29, DecimalScale)),
        ColumnType.Boolean => new Column<bool?>(column.Name),
        ColumnType.Date => new Column<Date?>(column.Name),
        ColumnType.DateTime => new Column<DateTime?>(column.Name, LogicalType.Timestamp(isAdjustedToUtc: true, TimeUnit.Micros)),
        _ => new Column<string>(column.Name),
    };

    static void WriteRowGroup(ParquetFileWriter writer, IReadOnlyList<OutputColumn> columns, List<object?[]> rows)
    {
        using var group = writer.AppendRowGroup();
        for (var c = 0; c < columns.Count; c++)
        {
            using var column = group.NextColumn();
            switch (columns[c].Type)
            {
                case ColumnType.Integer:
                    Write(column, rows, c, v => (long?)v);
                    break;
                case ColumnType.Decimal:
                    Write(column, rows, c, v => v is decimal d ? Math.Round(d, DecimalScale, MidpointRounding.ToEven) : (decimal?)null);
                    break;
                case ColumnType.Boolean:
                    Write(column, rows, c, v => (bool?)v);
                    break;
                case ColumnType.Date:
                    Write(column, rows, c, v => v is DateOnly d ? new Date(d.Year, d.Month, d.Day) : (Date?)null);
                    break;
                case ColumnType.DateTime:
                    Write(column, rows, c, v => v is DateTime dt ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : (DateTime?)null);
                    break;
                default:
                    Write(column, rows, c, v => (string?)v);
                    break;
            }
        }
    }

    static void Write<T>(ColumnWriter column, List<object?[]> rows, int index, Func<object?, T> convert)
    {
        using var logical = column.LogicalWriter<T>();
        var values = new T[rows.Count];
        for (var r = 0; r < values.Length; r++)
        {
            values[r] = convert(rows[r][index]);
        }

        logical.WriteBatch(values);
    }
}
