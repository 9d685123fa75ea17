using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using DataPlatform.Catalog.Search;
using DataPlatform.Catalog.Storage;
using DataPlatform.Contracts.Access;
using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Catalog.Datasets;

/// <summary>Which datasets a caller may see: every one that is not restricted, and the restricted ones granted.</summary>
/// <param name="GrantedRestricted">Ids of restricted datasets the caller holds the entitlement of.</param>
public sealed record Visibility(IReadOnlyList<string> GrantedRestricted)
{
    public static readonly Visibility Everything = new(["*"]);

    public bool Sees(Dataset dataset) =>
        dataset.Metadata.AccessLevel != AccessLevel.Restricted || GrantedRestricted.Contains("*") || GrantedRestricted.Contains(dataset.Id);

    public static Visibility Of(Contracts.ConsumerContext.ConsumerContext consumer) => new(consumer.Entitlements
        .Where(e => e.StartsWith(Entitlements.Dataset(""), StringComparison.Ordinal))
        .Select(e => e[Entitlements.Dataset("").Length..])
        .ToList());
}

/// <summary>A search over the catalog.</summary>
/// <param name="Text">Search words; every one must match, diacritics and case ignored.</param>
/// <param name="Publisher">The publisher id a match must have.</param>
/// <param name="Theme">A theme a match must have.</param>
/// <param name="Access">The access level a match must have.</param>
/// <param name="Licence">The licence id a match must have.</param>
/// <param name="ModifiedSince">The earliest modification time a match may have, inclusive.</param>
/// <param name="Offset">How many matches to skip.</param>
/// <param name="Limit">The most matches to return.</param>
/// <param name="Publishers">Publisher ids a match must have one of, and ids it must have none of (with <paramref name="Publisher"/>).</param>
/// <param name="Themes">Themes a match must have one of, and themes it must have none of (with <paramref name="Theme"/>).</param>
/// <param name="ModifiedUntil">The latest modification time a match may have, inclusive, as <paramref name="ModifiedSince"/> is.</param>
/// <param name="Order">The order of the results; empty for the default (relevance, then the newest first).</param>
public sealed record DatasetQuery(
    string? Text = null,
    string? Publisher = null,
    string? Theme = null,
    AccessLevel? Access = null,
    string? Licence = null,
    DateTimeOffset? ModifiedSince = null,
    int Offset = 0,
    int Limit = 20,
    ValueFilter? Publishers = null,
    ValueFilter? Themes = null,
    DateTimeOffset? ModifiedUntil = null,
    IReadOnlyList<DatasetOrder>? Order = null)
{
    /// <summary>An exact keyword, as the dataset's metadata spells it.</summary>
    public string? Keyword { get; init; }

    /// <summary>A download format: every published dataset downloads in every format, so this keeps the published ones.</summary>
    public string? Format { get; init; }
}

/// <summary>Values a field must have one of (when <paramref name="AnyOf"/> is not null), and values it must have none of.</summary>
public sealed record ValueFilter(IReadOnlyList<string>? AnyOf, IReadOnlyList<string> NoneOf);

/// <summary>What search results can be ordered by.</summary>
public enum DatasetSortKey
{
    /// <summary>How well the text matched (title terms weigh most); equal for every dataset without search text.</summary>
    Relevance,

    /// <summary>The dataset id, in ordinal order on both engines.</summary>
    Id,

    /// <summary>When the metadata or data last changed.</summary>
    Modified,

    /// <summary>When the dataset was created.</summary>
    Created,

    /// <summary>The Vietnamese title folded as search folds it (lower case, no diacritics).</summary>
    Title,

    /// <summary>The English title, folded the same way.</summary>
    TitleEn,

    /// <summary>How many times the dataset's files were downloaded.</summary>
    Downloads,
}

/// <summary>One key of a search's order.</summary>
public sealed record DatasetOrder(DatasetSortKey Key, bool Descending);

/// <summary>One value of a facet and how many matching datasets have it.</summary>
public sealed record FacetValue(string Value, string? Label, long Count);

/// <summary>A page of matching datasets, the total, and the facets over every match.</summary>
public sealed record DatasetPage(long Total, IReadOnlyList<Dataset> Items, IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Facets);

/// <summary>
/// Reads and writes the catalog's metadata tables. The query core builds on <c>FindAsync(id)</c>: it gives
/// the typed schema with physical column names and the current version's table.
/// </summary>
public sealed class DatasetStore(PlatformDatabase database, TimeProvider time)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    const string DatasetColumns =
        "id, storage_key, metadata, columns, current_version, current_table, current_row_count, created_at, modified_at, downloads";

    /// <summary>The formats every published dataset downloads in, the values of the format facet.</summary>
    static readonly string[] _downloadFormatNames = ["csv", "json", "ndjson", "parquet", "xlsx"];

    public PlatformDatabase Database => database;

    /// <summary>The dataset with <paramref name="id"/>, or <c>null</c>.</summary>
    public async Task<Dataset?> FindAsync(string id, CancellationToken cancellationToken)
    {
        // An id that no dataset can have is not looked up: every reader answers it as an unknown id, and text the
        // database would refuse as an error (PostgreSQL takes no NUL character) never reaches it.
        if (!MetadataRules.IsValidId(id))
        {
            return null;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await FindAsync(connection, null, id, cancellationToken);
    }

    internal static async Task<Dataset?> FindAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command($"SELECT {DatasetColumns} FROM datasets WHERE id = @id", transaction).With("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadDataset(reader) : null;
    }

    /// <summary>Every dataset, in id order, for descriptors and harvesters.</summary>
    public async Task<IReadOnlyList<Dataset>> ListAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {DatasetColumns} FROM datasets ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<Dataset>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(ReadDataset(reader));
        }

        return result;
    }

    /// <summary>The versions of a dataset, newest first.</summary>
    public async Task<IReadOnlyList<DatasetVersion>> ListVersionsAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT version, table_name, row_count, columns, delimiter, bytes, published_at, published_by FROM dataset_versions WHERE dataset_id = @id ORDER BY version DESC")
            .With("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<DatasetVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new DatasetVersion(
                reader.GetInt32(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2),
                JsonSerializer.Deserialize<List<DatasetColumn>>(reader.GetString(3), Json)!,
                reader.GetString(4),
                reader.GetInt64(5),
                Sql.ParseTime(reader.GetString(6)),
                reader.GetString(7)));
        }

        return result;
    }

    /// <summary>Creates the dataset or replaces its metadata. Returns the stored dataset and whether it is new.</summary>
    public async Task<(Dataset Dataset, bool Created)> UpsertMetadataAsync(string id, DatasetMetadata metadata, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await CatalogTransactions.BeginWriteAsync(connection, cancellationToken);
        var existing = await FindAsync(connection, transaction, id, cancellationToken);
        var now = Sql.Time(time.GetUtcNow());
        var columns = existing is null ? [] : MergeDeclarations(existing.Columns, metadata.Columns);
        await using (var command = connection.Command(existing is null
            ? """
              INSERT INTO datasets (id, storage_key, metadata, columns, publisher_id, publisher_name, access_level, product_id, licence_id, search_text,
                  title_vi, title_en, created_at, modified_at)
              VALUES (@id, @key, @metadata, @columns, @publisherId, @publisherName, @access, @product, @licence, @search, @titleVi, @titleEn, @now, @now)
              """
            : """
              UPDATE datasets SET metadata = @metadata, columns = @columns, publisher_id = @publisherId, publisher_name = @publisherName,
                  access_level = @access, product_id = @product, licence_id = @licence, search_text = @search,
                  title_vi = @titleVi, title_en = @titleEn, modified_at = @now
              WHERE id = @id
              """, transaction))
        {
            command.With("id", id).With("key", SqlIdentifiers.NewStorageKey())
                .With("metadata", JsonSerializer.Serialize(metadata, Json))
                .With("columns", JsonSerializer.Serialize(columns, Json))
                .With("publisherId", metadata.Publisher.Id)
                .With("publisherName", metadata.Publisher.Name)
                .With("access", AccessName(metadata.AccessLevel))
                .With("product", metadata.AccessLevel == AccessLevel.Paid ? metadata.ProductId : null)
                .With("licence", metadata.Licence.Id)
                .With("search", SearchText(metadata))
                .With("titleVi", TextFolding.FoldForSearch(metadata.Title.Vi))
                .With("titleEn", TextFolding.FoldForSearch(metadata.Title.En))
                .With("now", now);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await connection.RunAsync("DELETE FROM dataset_themes WHERE dataset_id = @id", transaction, cancellationToken, ("id", id));
        foreach (var theme in metadata.Themes.Distinct(StringComparer.Ordinal))
        {
            await connection.RunAsync("INSERT INTO dataset_themes (dataset_id, theme) VALUES (@id, @theme)", transaction, cancellationToken, ("id", id), ("theme", theme));
        }

        await WriteKeywordsAsync(connection, transaction, id, metadata.Keywords, cancellationToken);
        var stored = (await FindAsync(connection, transaction, id, cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return (stored, existing is null);
    }

    /// <summary>Deletes the dataset and drops every table of its versions. Returns false when there was none.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await CatalogTransactions.BeginWriteAsync(connection, cancellationToken);
        var tables = new List<string>();
        await using (var command = connection.Command("SELECT table_name FROM dataset_versions WHERE dataset_id = @id AND table_name IS NOT NULL", transaction).With("id", id))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add(reader.GetString(0));
            }
        }

        await connection.RunAsync("DELETE FROM dataset_versions WHERE dataset_id = @id", transaction, cancellationToken, ("id", id));
        await connection.RunAsync("DELETE FROM dataset_themes WHERE dataset_id = @id", transaction, cancellationToken, ("id", id));
        await connection.RunAsync("DELETE FROM dataset_keywords WHERE dataset_id = @id", transaction, cancellationToken, ("id", id));
        var deleted = await connection.RunAsync("DELETE FROM datasets WHERE id = @id", transaction, cancellationToken, ("id", id));
        foreach (var table in tables)
        {
            await connection.RunAsync($"DROP TABLE IF EXISTS {SqlIdentifiers.Quote(table)}", transaction, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return deleted > 0;
    }

    /// <summary>Searches the datasets <paramref name="visibility"/> allows, with facets over every match.</summary>
    public async Task<DatasetPage> SearchAsync(DatasetQuery query, Visibility visibility, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        AddVisibility(where, parameters, visibility);
        var folded = TextFolding.FoldForSearch(query.Text);
        var terms = folded.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(16).ToArray();
        // Every term must match somewhere; the rank then weighs where: the title counts most, then keywords
        // and themes, then descriptions and publishers, and the whole query found as a phrase in the title
        // counts extra. The folded text keeps those fields in three segments split by '|' (see SearchText),
        // so "term followed by two separators" means "in the title", on both engines with a plain LIKE.
        var rank = new List<string>();
        for (var i = 0; i < terms.Length; i++)
        {
            var term = Sql.LikeEscape(terms[i]);
            where.Add($"d.search_text LIKE @t{i} ESCAPE '\\'");
            parameters.Add(($"t{i}", "%" + term + "%"));
            parameters.Add(($"t{i}title", "%" + term + "%|%|%"));
            parameters.Add(($"t{i}keywords", "%" + term + "%|%"));
            rank.Add($"CASE WHEN d.search_text LIKE @t{i}title ESCAPE '\\' THEN 4 WHEN d.search_text LIKE @t{i}keywords ESCAPE '\\' THEN 2 ELSE 1 END");
        }

        if (terms.Length > 1)
        {
            parameters.Add(("phrase", "%" + Sql.LikeEscape(string.Join(' ', terms)) + "%|%|%"));
            rank.Add("CASE WHEN d.search_text LIKE @phrase ESCAPE '\\' THEN 4 ELSE 0 END");
        }

        var order = OrderBy(query.Order, rank);

        if (query.ModifiedSince is { } since)
        {
            where.Add("d.modified_at >= @since");
            parameters.Add(("since", Sql.Time(since)));
        }

        if (query.ModifiedUntil is { } until)
        {
            where.Add("d.modified_at <= @until");
            parameters.Add(("until", Sql.Time(until)));
        }

        // Facets count over the text match and the other facets' filters, as CKAN and OpenDataSoft do,
        // so choosing one publisher still shows how many datasets each other publisher has.
        var filters = new Dictionary<string, (string Sql, List<(string, object?)> Parameters)>();
        if (ValueCondition("d.publisher_id IN ({0})", "fPublisher", query.Publisher, query.Publishers) is { } publisherFilter)
        {
            filters["publisher"] = publisherFilter;
        }

        if (ValueCondition("EXISTS (SELECT 1 FROM dataset_themes ft WHERE ft.dataset_id = d.id AND ft.theme IN ({0}))", "fTheme", query.Theme, query.Themes) is { } themeFilter)
        {
            filters["theme"] = themeFilter;
        }

        if (query.Access is { } access)
        {
            filters["accessLevel"] = ("d.access_level = @fAccess", [("fAccess", AccessName(access))]);
        }

        if (query.Licence is not null)
        {
            filters["licence"] = ("d.licence_id = @fLicence", [("fLicence", query.Licence)]);
        }

        if (query.Keyword is not null)
        {
            filters["keyword"] = ("EXISTS (SELECT 1 FROM dataset_keywords fk WHERE fk.dataset_id = d.id AND fk.keyword = @fKeyword)", [("fKeyword", query.Keyword)]);
        }

        if (query.Format is not null)
        {
            filters["format"] = ("d.current_version > @fPublished", [("fPublished", 0)]);
        }

        string Where(string? except) => string.Join(" AND ", where.Concat(filters.Where(f => f.Key != except).Select(f => f.Value.Sql)).DefaultIfEmpty("1 = 1"));
        DbCommand Bind(DbCommand command, string? except)
        {
            foreach (var (name, value) in parameters)
            {
                command.With(name, value);
            }

            foreach (var (name, value) in filters.Where(f => f.Key != except).SelectMany(f => f.Value.Parameters))
            {
                command.With(name, value);
            }

            return command;
        }

        long total;
        await using (var count = Bind(connection.Command($"SELECT COUNT(*) FROM datasets d WHERE {Where(null)}"), null))
        {
            total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken));
        }

        var items = new List<Dataset>();
        await using (var page = Bind(connection.Command(
            $"SELECT {string.Join(", ", DatasetColumns.Split(", ").Select(c => "d." + c))} FROM datasets d WHERE {Where(null)} ORDER BY {order} LIMIT @limit OFFSET @offset"), null)
            .With("limit", query.Limit).With("offset", query.Offset))
        await using (var reader = await page.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(ReadDataset(reader));
            }
        }

        var facets = new Dictionary<string, IReadOnlyList<FacetValue>>
        {
            ["publisher"] = await FacetAsync(Bind(connection.Command(
                $"SELECT d.publisher_id, MIN(d.publisher_name), COUNT(*) FROM datasets d WHERE {Where("publisher")} GROUP BY d.publisher_id ORDER BY COUNT(*) DESC, d.publisher_id"), "publisher"), cancellationToken),
            ["theme"] = await FacetAsync(Bind(connection.Command(
                $"SELECT t.theme, NULL, COUNT(*) FROM datasets d JOIN dataset_themes t ON t.dataset_id = d.id WHERE {Where("theme")} GROUP BY t.theme ORDER BY COUNT(*) DESC, t.theme"), "theme"), cancellationToken),
            ["accessLevel"] = await FacetAsync(Bind(connection.Command(
                $"SELECT d.access_level, NULL, COUNT(*) FROM datasets d WHERE {Where("accessLevel")} GROUP BY d.access_level ORDER BY COUNT(*) DESC, d.access_level"), "accessLevel"), cancellationToken),
            ["licence"] = await FacetAsync(Bind(connection.Command(
                $"SELECT d.licence_id, NULL, COUNT(*) FROM datasets d WHERE {Where("licence")} GROUP BY d.licence_id ORDER BY COUNT(*) DESC, d.licence_id"), "licence"), cancellationToken),
            ["keyword"] = await FacetAsync(Bind(connection.Command(
                $"SELECT k.keyword, NULL, COUNT(*) FROM datasets d JOIN dataset_keywords k ON k.dataset_id = d.id WHERE {Where("keyword")} GROUP BY k.keyword ORDER BY COUNT(*) DESC, k.keyword LIMIT 50"), "keyword"), cancellationToken),
        };
        await using (var published = Bind(connection.Command($"SELECT COUNT(*) FROM datasets d WHERE {Where("format")} AND d.current_version > 0"), "format"))
        {
            var count = Convert.ToInt64(await published.ExecuteScalarAsync(cancellationToken));
            facets["format"] = count == 0 ? [] : [.. _downloadFormatNames.Select(f => new FacetValue(f, f.ToUpperInvariant(), count))];
        }

        return new DatasetPage(total, items, facets);
    }

    /// <summary>
    /// The condition that a field has one of the wanted values (<paramref name="single"/> and the filter's any-of
    /// list together) and none of the filter's unwanted ones, with its parameters; <c>null</c> when nothing is asked.
    /// <paramref name="membership"/> tests the field against a list written where <c>{0}</c> stands.
    /// </summary>
    static (string Sql, List<(string, object?)> Parameters)? ValueCondition(string membership, string prefix, string? single, ValueFilter? filter)
    {
        var wanted = single is null ? filter?.AnyOf : [single, .. filter?.AnyOf ?? []];
        var unwanted = filter?.NoneOf ?? [];
        if (wanted is null && unwanted.Count == 0)
        {
            return null;
        }

        var parameters = new List<(string, object?)>();
        string List(IEnumerable<string> values, string suffix) => string.Join(", ", values.Take(100).Select((value, i) =>
        {
            parameters.Add(($"{prefix}{suffix}{i}", value));
            return $"@{prefix}{suffix}{i}";
        }));
        var conditions = new List<string>();
        if (wanted is not null)
        {
            conditions.Add(wanted.Count == 0 ? "1 = 0" : string.Format(CultureInfo.InvariantCulture, membership, List(wanted, "a")));
        }

        if (unwanted.Count > 0)
        {
            conditions.Add("NOT " + string.Format(CultureInfo.InvariantCulture, membership, List(unwanted, "n")));
        }

        return ("(" + string.Join(" AND ", conditions) + ")", parameters);
    }

    /// <summary>
    /// The ORDER BY of a search. Every order ends with the id, so that pages never overlap nor skip a dataset;
    /// ids and folded titles compare byte by byte on PostgreSQL as on SQLite, whatever the database's collation.
    /// </summary>
    string OrderBy(IReadOnlyList<DatasetOrder>? order, List<string> rank)
    {
        var ordinal = database.Provider == DatabaseProvider.PostgreSql ? " COLLATE \"C\"" : "";
        IReadOnlyList<DatasetOrder> keys = order is { Count: > 0 } ? order : [new(DatasetSortKey.Relevance, true), new(DatasetSortKey.Modified, true)];
        var terms = new List<string>();
        foreach (var key in keys)
        {
            var column = key.Key switch
            {
                DatasetSortKey.Relevance => rank.Count == 0 ? null : $"({string.Join(" + ", rank)})",
                DatasetSortKey.Id => "d.id" + ordinal,
                DatasetSortKey.Modified => "d.modified_at",
                DatasetSortKey.Created => "d.created_at",
                DatasetSortKey.Title => "d.title_vi" + ordinal,
                DatasetSortKey.TitleEn => "d.title_en" + ordinal,
                DatasetSortKey.Downloads => "d.downloads",
                _ => throw new ArgumentOutOfRangeException(nameof(order)),
            };
            if (column is not null)
            {
                terms.Add(column + (key.Descending ? " DESC" : " ASC"));
            }
        }

        terms.Add("d.id" + ordinal);
        return string.Join(", ", terms);
    }

    static async Task<IReadOnlyList<FacetValue>> FacetAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var values = new List<FacetValue>();
            while (await reader.ReadAsync(cancellationToken))
            {
                values.Add(new FacetValue(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2)));
            }

            return values;
        }
    }

    static void AddVisibility(List<string> where, List<(string, object?)> parameters, Visibility visibility)
    {
        if (visibility.GrantedRestricted.Contains("*"))
        {
            return;
        }

        var granted = visibility.GrantedRestricted.Take(100).Select((id, i) => (Name: $"g{i}", Id: id)).ToList();
        parameters.Add(("restricted", AccessName(AccessLevel.Restricted)));
        parameters.AddRange(granted.Select(g => (g.Name, (object?)g.Id)));
        where.Add(granted.Count == 0
            ? "d.access_level <> @restricted"
            : $"(d.access_level <> @restricted OR d.id IN ({string.Join(", ", granted.Select(g => "@" + g.Name))}))");
    }

    /// <summary>
    /// Applies the publisher's column declarations to a published schema: descriptions, filterability and
    /// sensitivity can change without a new publish; types, nullability and keys belong to the loaded table.
    /// </summary>
    internal static IReadOnlyList<DatasetColumn> MergeDeclarations(IReadOnlyList<DatasetColumn> columns, IReadOnlyList<ColumnDefinition> declarations)
    {
        var byName = declarations.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        return columns.Select(c => byName.TryGetValue(c.Name, out var d)
            ? c with { Description = d.Description ?? c.Description, Sensitivity = d.Sensitivity, Filterable = c.Filterable || d.Filterable }
            : c).ToList();
    }

    internal static string AccessName(AccessLevel level) => JsonNamingPolicy.CamelCase.ConvertName(level.ToString());

    /// <summary>
    /// The folded text search runs over, in three segments split by '|' so that the rank can tell where a term
    /// matched: titles, then keywords and themes, then descriptions and publisher names.
    /// </summary>
    internal static string SearchText(DatasetMetadata metadata) => string.Join(" | ",
        TextFolding.FoldForSearch(metadata.Title.Vi + " " + metadata.Title.En),
        TextFolding.FoldForSearch(string.Join(" ", metadata.Keywords.Concat(metadata.Themes))),
        TextFolding.FoldForSearch(string.Join(" ", metadata.Description.Vi, metadata.Description.En, metadata.Publisher.Name, metadata.Publisher.NameEn)));

    /// <summary>
    /// Rewrites the search text of every dataset whose text differs from what <see cref="SearchText"/> builds
    /// now, so a change in how it is built reaches entries written before; returns how many changed.
    /// </summary>
    public async Task<int> RefreshSearchTextAsync(IEnumerable<Dataset> datasets, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var changed = 0;
        foreach (var dataset in datasets)
        {
            var text = SearchText(dataset.Metadata);
            await using (var command = connection.Command(
                """
                UPDATE datasets SET search_text = @text, title_vi = @titleVi, title_en = @titleEn
                WHERE id = @id AND (search_text <> @text OR title_vi <> @titleVi OR title_en <> @titleEn)
                """)
                .With("text", text).With("id", dataset.Id)
                .With("titleVi", TextFolding.FoldForSearch(dataset.Metadata.Title.Vi))
                .With("titleEn", TextFolding.FoldForSearch(dataset.Metadata.Title.En)))
            {
                changed += await command.ExecuteNonQueryAsync(cancellationToken);
            }

            var stored = new List<string>();
            await using (var keywords = connection.Command("SELECT keyword FROM dataset_keywords WHERE dataset_id = @id ORDER BY keyword").With("id", dataset.Id))
            await using (var reader = await keywords.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    stored.Add(reader.GetString(0));
                }
            }

            if (!stored.SequenceEqual(dataset.Metadata.Keywords.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal), StringComparer.Ordinal))
            {
                await using var transaction = await CatalogTransactions.BeginWriteAsync(connection, cancellationToken);
                await WriteKeywordsAsync(connection, transaction, dataset.Id, dataset.Metadata.Keywords, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
        }

        return changed;
    }

    static async Task WriteKeywordsAsync(DbConnection connection, DbTransaction transaction, string id, IEnumerable<string> keywords, CancellationToken cancellationToken)
    {
        await connection.RunAsync("DELETE FROM dataset_keywords WHERE dataset_id = @id", transaction, cancellationToken, ("id", id));
        foreach (var keyword in keywords.Distinct(StringComparer.Ordinal))
        {
            await connection.RunAsync("INSERT INTO dataset_keywords (dataset_id, keyword) VALUES (@id, @keyword)", transaction, cancellationToken, ("id", id), ("keyword", keyword));
        }
    }

    /// <summary>Adds counted downloads to the datasets' totals, in one transaction.</summary>
    public async Task AddDownloadsAsync(IReadOnlyCollection<KeyValuePair<string, long>> counts, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await CatalogTransactions.BeginWriteAsync(connection, cancellationToken);
        foreach (var (id, count) in counts)
        {
            await connection.RunAsync("UPDATE datasets SET downloads = downloads + @count WHERE id = @id", transaction, cancellationToken, ("id", id), ("count", count));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    static Dataset ReadDataset(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        JsonSerializer.Deserialize<DatasetMetadata>(reader.GetString(2), Json)!,
        JsonSerializer.Deserialize<List<DatasetColumn>>(reader.GetString(3), Json)!,
        reader.GetInt32(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.GetInt64(6),
        Sql.ParseTime(reader.GetString(7)),
        Sql.ParseTime(reader.GetString(8)))
    {
        Downloads = reader.GetInt64(9),
    };
}
