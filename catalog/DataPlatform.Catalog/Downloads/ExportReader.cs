using System.Runtime.CompilerServices;
using DataPlatform.Catalog.Query;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Data.Sqlite;

namespace DataPlatform.Catalog.Downloads;

/// <summary>The columns of an export and its rows, read one at a time as the writer asks for them.</summary>
sealed record ExportRows(IReadOnlyList<OutputColumn> Columns, IAsyncEnumerable<object?[]> Rows);

/// <summary>
/// Runs a query plan for an export: the same translator as OData and GraphQL, but the rows stream from the
/// database reader to the file writer instead of being collected into a page. Neither driver buffers the result:
/// SQLite steps the statement row by row and Npgsql reads the socket as rows are consumed. Disposing the
/// enumeration (a finished export, or a client that went away) closes the reader and returns the connection.
/// </summary>
sealed class ExportReader(PlatformDatabase database)
{
    readonly SqlDialect _dialect = SqlDialect.For(database.Provider);

    public ExportRows Open(QueryPlan plan)
    {
        var statement = SqlTranslator.Translate(plan, _dialect);
        return new ExportRows(statement.Outputs, ReadAsync(statement, CancellationToken.None));
    }

    async IAsyncEnumerable<object?[]> ReadAsync(SqlStatement statement, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        if (connection is SqliteConnection sqlite)
        {
            // The same functions QueryExecutor registers: SQLite's lower() and upper() know only ASCII, and $search folds.
            sqlite.CreateFunction("dp_lower", (string? s) => s?.ToLowerInvariant(), isDeterministic: true);
            sqlite.CreateFunction("dp_upper", (string? s) => s?.ToUpperInvariant(), isDeterministic: true);
            sqlite.CreateFunction("dp_fold", (string? s) => TextFolding.Fold(s), isDeterministic: true);
        }

        await using var command = connection.CreateCommand();
        command.CommandText = statement.Text;
        // An export may legitimately run for minutes; a client that leaves cancels it instead.
        command.CommandTimeout = 0;
        foreach (var (name, value) in statement.Parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var outputs = statement.Outputs;
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[outputs.Count];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = _dialect.ReadValue(reader.GetValue(i), outputs[i].Type);
            }

            yield return row;
        }
    }
}
