using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace DataPlatform.Catalog.Storage;

/// <summary>Starts write transactions that serialize writers on both engines.</summary>
static class CatalogTransactions
{
    /// <summary>
    /// On SQLite, takes the write lock at once (<c>BEGIN IMMEDIATE</c>) so two writers cannot both read and then
    /// collide on upgrade; on PostgreSQL, a plain transaction whose writers lock the rows they change.
    /// </summary>
    public static async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(cancellationToken);
}
