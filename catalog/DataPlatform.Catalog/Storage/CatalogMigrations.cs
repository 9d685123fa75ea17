using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Catalog.Storage;

/// <summary>
/// The catalog's own tables. Each published version's rows live in a table of their own, created by the
/// publisher and named by <see cref="SqlIdentifiers"/>; these tables only describe them. Times are stored as
/// fixed-width ISO 8601 UTC text on both engines, so they sort and compare the same way everywhere.
/// </summary>
static class CatalogMigrations
{
    public static readonly Migration[] All =
    [
        new(1, "datasets, themes and versions",
            Sqlite: """
                CREATE TABLE datasets (
                    id TEXT PRIMARY KEY,
                    storage_key TEXT NOT NULL UNIQUE,
                    metadata TEXT NOT NULL,
                    columns TEXT NOT NULL,
                    publisher_id TEXT NOT NULL,
                    publisher_name TEXT NOT NULL,
                    access_level TEXT NOT NULL,
                    product_id TEXT NULL,
                    licence_id TEXT NOT NULL,
                    search_text TEXT NOT NULL,
                    current_version INTEGER NOT NULL DEFAULT 0,
                    current_table TEXT NULL,
                    current_row_count INTEGER NOT NULL DEFAULT 0,
                    last_version INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL,
                    modified_at TEXT NOT NULL
                );
                CREATE INDEX ix_datasets_modified ON datasets (modified_at);
                CREATE TABLE dataset_themes (
                    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
                    theme TEXT NOT NULL,
                    PRIMARY KEY (dataset_id, theme)
                );
                CREATE TABLE dataset_versions (
                    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    table_name TEXT NULL,
                    row_count INTEGER NOT NULL,
                    columns TEXT NOT NULL,
                    delimiter TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    published_at TEXT NOT NULL,
                    published_by TEXT NOT NULL,
                    PRIMARY KEY (dataset_id, version)
                );
                CREATE TABLE catalog_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                """,
            PostgreSql: """
                CREATE TABLE datasets (
                    id TEXT PRIMARY KEY,
                    storage_key TEXT NOT NULL UNIQUE,
                    metadata TEXT NOT NULL,
                    columns TEXT NOT NULL,
                    publisher_id TEXT NOT NULL,
                    publisher_name TEXT NOT NULL,
                    access_level TEXT NOT NULL,
                    product_id TEXT NULL,
                    licence_id TEXT NOT NULL,
                    search_text TEXT NOT NULL,
                    current_version INTEGER NOT NULL DEFAULT 0,
                    current_table TEXT NULL,
                    current_row_count BIGINT NOT NULL DEFAULT 0,
                    last_version INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL,
                    modified_at TEXT NOT NULL
                );
                CREATE INDEX ix_datasets_modified ON datasets (modified_at);
                CREATE TABLE dataset_themes (
                    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
                    theme TEXT NOT NULL,
                    PRIMARY KEY (dataset_id, theme)
                );
                CREATE TABLE dataset_versions (
                    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    table_name TEXT NULL,
                    row_count BIGINT NOT NULL,
                    columns TEXT NOT NULL,
                    delimiter TEXT NOT NULL,
                    bytes BIGINT NOT NULL,
                    published_at TEXT NOT NULL,
                    published_by TEXT NOT NULL,
                    PRIMARY KEY (dataset_id, version)
                );
                CREATE TABLE catalog_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                """),
        new(2, "sorting by title and downloads, keywords as a facet",
            Sqlite: """
                ALTER TABLE datasets ADD COLUMN title_vi TEXT NOT NULL DEFAULT '';
                ALTER TABLE datasets ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
                ALTER TABLE datasets ADD COLUMN downloads INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE dataset_keywords (
                    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
                    keyword TEXT NOT NULL,
                    PRIMARY KEY (dataset_id, keyword)
                );
                """,
            PostgreSql: """
                ALTER TABLE datasets ADD COLUMN title_vi TEXT NOT NULL DEFAULT '';
                ALTER TABLE datasets ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
                ALTER TABLE datasets ADD COLUMN downloads BIGINT NOT NULL DEFAULT 0;
                CREATE TABLE dataset_keywords (
                    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
                    keyword TEXT NOT NULL,
                    PRIMARY KEY (dataset_id, keyword)
                );
                """),
    ];
}
