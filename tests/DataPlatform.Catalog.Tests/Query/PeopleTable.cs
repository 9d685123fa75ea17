using System.Data.Common;
using System.Globalization;
using DataPlatform.Catalog.Query;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataPlatform.Catalog.Tests.Query;

/// <summary>One row of the test dataset, as the test knows it independently of any database.</summary>
sealed record Person(
    long RowId,
    string Code,
    string? Name,
    string? Province,
    long? Age,
    decimal? Income,
    bool? Active,
    DateOnly? Born,
    DateTime? Registered,
    string? CitizenId);

/// <summary>
/// Creates a real physical table in the catalog's database, laid out as docs/query.md describes (one column per
/// dataset column, a row id (<see cref="QueryableDataset.RowIdColumn"/>) in load order, storage types per engine), and loads people into it.
/// </summary>
static class PeopleTable
{
    static readonly string[] _families = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng", "Vũ", "Bùi", "Đỗ", "Hồ"];
    static readonly string[] _middles = ["Văn", "Thị", "Đức", "Ngọc", "Minh", "Thu"];
    static readonly string[] _givens = ["An", "Bình", "Cường", "Hà", "Đào", "Đức", "Lan", "Hùng", "Yến", "Phúc", "Thảo"];
    static readonly string?[] _provinces = ["Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", null];

    /// <summary>80 people with Vietnamese names, nulls in every nullable column, and a few hand-picked edge cases.</summary>
    public static IReadOnlyList<Person> Rows { get; } = Generate();

    static List<Person> Generate()
    {
        var random = new Random(20261127);
        var people = new List<Person>
        {
            new(1, "P001", "Nguyễn Văn An", "Hà Nội", 40, 15000.50m, true, new DateOnly(1986, 3, 15), new DateTime(2024, 3, 15, 8, 30, 0), "001086000001"),
            new(2, "P002", "Trần Thị Bình", "Hà Nội", 30, 22000.25m, false, new DateOnly(1996, 12, 1), new DateTime(2024, 3, 15, 23, 59, 59), "001096000002"),
            new(3, "P003", "ĐẶNG VĂN ĐỨC", "Đà Nẵng", null, null, null, null, null, null),
            new(4, "P004", "  Vũ Minh  ", "Cần Thơ", 55, 0m, true, new DateOnly(1971, 1, 1), new DateTime(2020, 1, 1, 0, 0, 0), "092071000004"),
            new(5, "P005", null, null, 20, 1234.56m, false, new DateOnly(2006, 6, 30), new DateTime(2026, 11, 27, 12, 0, 0), null),
            new(6, "P006", "x' OR 1=1 --", "Hải Phòng", 33, 100m, true, new DateOnly(1993, 5, 5), null, "031093000006"),
        };

        for (var id = people.Count + 1; id <= 80; id++)
        {
            string? name = random.Next(12) == 0 ? null
                : $"{_families[random.Next(_families.Length)]} {_middles[random.Next(_middles.Length)]} {_givens[random.Next(_givens.Length)]}";
            people.Add(new Person(
                id,
                "P" + id.ToString("000", CultureInfo.InvariantCulture),
                name,
                _provinces[random.Next(_provinces.Length)],
                random.Next(10) == 0 ? null : random.Next(18, 91),
                random.Next(10) == 0 ? null : random.Next(0, 10_000_000) / 100m,
                random.Next(5) == 0 ? null : random.Next(2) == 0,
                random.Next(8) == 0 ? null : new DateOnly(1950, 1, 1).AddDays(random.Next(20_000)),
                random.Next(8) == 0 ? null : new DateTime(2020, 1, 1).AddSeconds(random.Next(220_000_000)),
                random.Next(4) == 0 ? null : random.Next(1_000_000_000).ToString("000000000000", CultureInfo.InvariantCulture)));
        }

        return people;
    }

    public static QueryExecutor Executor(PlatformFixture platform, QueryOptions? options = null) =>
        new(Database(platform), platform.Platform.Catalog!.Services.GetRequiredService<QueryConnections>(), Options.Create(options ?? new QueryOptions()),
            platform.Platform.Catalog!.Services.GetRequiredService<QueryAuditLog>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<QueryExecutor>.Instance);

    public static PlatformDatabase Database(PlatformFixture platform) =>
        platform.Platform.Catalog!.Services.GetRequiredService<PlatformDatabase>();

    /// <summary>The dataset's columns; the SQL names differ from the public ones, as sanitized names may.</summary>
    public static IReadOnlyList<QueryableColumn> Columns { get; } =
    [
        new("code", "c_code", ColumnType.String, Nullable: false, Key: true),
        new("name", "c_name", ColumnType.String),
        new("province", "c_province", ColumnType.String),
        new("age", "c_age", ColumnType.Integer),
        new("income", "c_income", ColumnType.Decimal),
        new("active", "c_active", ColumnType.Boolean),
        new("born", "c_born", ColumnType.Date),
        new("registered", "c_registered", ColumnType.DateTime),
        new("citizen_id", "c_citizen_id", ColumnType.String, Sensitivity: ColumnSensitivity.Personal),
    ];

    /// <summary>Creates a fresh table holding <paramref name="rows"/> and describes it as the catalog would.</summary>
    public static async Task<QueryableDataset> CreateAsync(
        PlatformFixture platform, IReadOnlyList<Person>? rows = null, AccessLevel access = AccessLevel.Open)
    {
        rows ??= Rows;
        var database = Database(platform);
        var postgres = database.Provider == DatabaseProvider.PostgreSql;
        var id = "people-" + Guid.NewGuid().ToString("N")[..10];
        var table = "ds_" + id.Replace('-', '_') + "_v1";
        var types = postgres
            ? new[] { "bigint", "text", "text", "text", "bigint", "numeric", "boolean", "date", "timestamptz", "text" }
            : new[] { "INTEGER", "TEXT", "TEXT", "TEXT", "INTEGER", "REAL", "INTEGER", "TEXT", "TEXT", "TEXT" };
        var names = new[] { QueryableDataset.RowIdColumn }.Concat(Columns.Select(c => c.SqlIdentifier)).ToArray();

        await using var connection = await database.OpenConnectionAsync(CancellationToken.None);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = $"CREATE TABLE \"{table}\" ({string.Join(", ", names.Select((n, i) => $"\"{n}\" {types[i]}{(i == 0 ? " PRIMARY KEY" : "")}"))})";
            await create.ExecuteNonQueryAsync();
        }

        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var person in rows)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO \"{table}\" VALUES ({string.Join(", ", names.Select((_, i) => "@v" + i))})";
            object?[] values = [person.RowId, person.Code, person.Name, person.Province, person.Age, person.Income, person.Active, person.Born, person.Registered, person.CitizenId];
            for (var i = 0; i < values.Length; i++)
            {
                Add(insert, "v" + i, Storage(values[i], postgres));
            }

            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        return new QueryableDataset(id, "Dân cư thử nghiệm", access, table, 1, rows.Count, Columns);
    }

    /// <summary>
    /// The storage form of a value, as the catalog's publisher writes it (a UTC <c>timestamptz</c> on PostgreSQL, the
    /// round-trip text <c>2024-03-15T08:30:00.0000000Z</c> on SQLite), written here independently of the dialect
    /// classes under test.
    /// </summary>
    static object? Storage(object? value, bool postgres) => (value, postgres) switch
    {
        (null, _) => DBNull.Value,
        (DateTime t, true) => DateTime.SpecifyKind(t, DateTimeKind.Utc),
        (_, true) => value,
        (bool b, false) => b ? 1 : 0,
        (decimal m, false) => (double)m,
        (DateOnly d, false) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        (DateTime t, false) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        _ => value,
    };

    static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Splits a query string into options the way ASP.NET Core would hand them over.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ParseQuery(string query) =>
        query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            var equals = part.IndexOf('=');
            return equals < 0
                ? new KeyValuePair<string, string>(Uri.UnescapeDataString(part), "")
                : new KeyValuePair<string, string>(Uri.UnescapeDataString(part[..equals]), Uri.UnescapeDataString(part[(equals + 1)..]));
        });
}
