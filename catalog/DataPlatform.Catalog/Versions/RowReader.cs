using System.Data.Common;
using System.Globalization;
using DataPlatform.Catalog.Datasets;
using DataPlatform.Catalog.Storage;
using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Catalog.Versions;

/// <summary>
/// Reads a page of one version's rows in file order. This is the simple paged read of issue 3; filtering,
/// projection and aggregation belong to the query core, which reads the same tables.
/// </summary>
public sealed class RowReader(PlatformDatabase database)
{
    public async Task<IReadOnlyList<Dictionary<string, object?>>> ReadAsync(
        string table, IReadOnlyList<DatasetColumn> columns, long offset, int limit, CancellationToken cancellationToken)
    {
        var postgres = database.Provider == DatabaseProvider.PostgreSql;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = SqlIdentifiers.Quote(SqlIdentifiers.RowNumberColumn);
        var select = columns.Count == 0 ? row : string.Join(", ", columns.Select(c => SqlIdentifiers.Quote(c.PhysicalName)));
        await using var command = connection.Command(
            $"SELECT {select} FROM {SqlIdentifiers.Quote(table)} ORDER BY {row} LIMIT @limit OFFSET @offset")
            .With("limit", limit).With("offset", offset);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var values = new Dictionary<string, object?>(columns.Count);
            for (var i = 0; i < columns.Count; i++)
            {
                values[columns[i].Name] = Read(reader, i, columns[i].Type, postgres);
            }

            rows.Add(values);
        }

        return rows;
    }

    /// <summary>Reads one value as its column type, the same on both engines.</summary>
    public static object? Read(DbDataReader reader, int ordinal, ColumnType type, bool postgres)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        return type switch
        {
            ColumnType.Integer => reader.GetInt64(ordinal),
            ColumnType.Decimal => reader.GetDecimal(ordinal),
            ColumnType.Boolean => reader.GetBoolean(ordinal),
            ColumnType.Date => postgres
                ? reader.GetFieldValue<DateOnly>(ordinal).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                : reader.GetString(ordinal),
            ColumnType.Datetime => postgres
                ? new DateTimeOffset(reader.GetFieldValue<DateTime>(ordinal).ToUniversalTime(), TimeSpan.Zero)
                : Sql.ParseTime(reader.GetString(ordinal)),
            _ => reader.GetString(ordinal),
        };
    }
}
