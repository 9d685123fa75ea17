using DataPlatform.ServiceDefaults.Storage;

namespace DataPlatform.Billing.Storage;

/// <summary>
/// Billing's tables. Moments are stored as Unix seconds (BIGINT) and money as whole đồng (BIGINT), so the same
/// statements run on SQLite and PostgreSQL and no amount ever passes through floating point.
/// </summary>
static class BillingMigrations
{
    const string Schema = """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            organisation_name TEXT NULL,
            tax_code TEXT NULL,
            billing_contact_name TEXT NULL,
            billing_contact_email TEXT NULL,
            status TEXT NOT NULL,
            status_reason TEXT NULL,
            stripe_customer_id TEXT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            email TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            email_confirmed BIGINT NOT NULL,
            confirmation_token_hash TEXT NULL,
            roles TEXT NOT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE INDEX users_account ON users(account_id);
        CREATE TABLE plans (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            burst_per_second BIGINT NOT NULL,
            requests_per_minute BIGINT NOT NULL,
            monthly_requests BIGINT NOT NULL,
            monthly_bytes BIGINT NOT NULL,
            included_requests BIGINT NOT NULL,
            included_bytes BIGINT NOT NULL,
            monthly_fee BIGINT NOT NULL,
            price_per_gb BIGINT NOT NULL,
            tiers TEXT NOT NULL,
            billable_status_classes TEXT NOT NULL
        );
        CREATE TABLE products (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            monthly_fee BIGINT NOT NULL,
            datasets TEXT NOT NULL
        );
        CREATE TABLE subscriptions (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            kind TEXT NOT NULL,
            item_id TEXT NOT NULL,
            started_at BIGINT NOT NULL,
            ends_at BIGINT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE INDEX subscriptions_account ON subscriptions(account_id, kind);
        CREATE TABLE dataset_grants (
            account_id TEXT NOT NULL REFERENCES accounts(id),
            dataset_id TEXT NOT NULL,
            granted_at BIGINT NOT NULL,
            PRIMARY KEY (account_id, dataset_id)
        );
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            user_id TEXT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NULL,
            revoked_at BIGINT NULL,
            replaced_by TEXT NULL
        );
        CREATE INDEX api_keys_account ON api_keys(account_id);
        CREATE TABLE usage_ledger (
            account_id TEXT NOT NULL,
            hour BIGINT NOT NULL,
            product_id TEXT NOT NULL,
            status_class TEXT NOT NULL,
            measure TEXT NOT NULL,
            value BIGINT NOT NULL,
            harvested_at BIGINT NOT NULL,
            PRIMARY KEY (account_id, hour, product_id, status_class, measure)
        );
        CREATE INDEX usage_ledger_hour ON usage_ledger(hour);
        CREATE TABLE invoices (
            id TEXT PRIMARY KEY,
            number TEXT NULL UNIQUE,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            period TEXT NOT NULL,
            status TEXT NOT NULL,
            currency TEXT NOT NULL,
            subtotal BIGINT NOT NULL,
            vat_basis_points BIGINT NOT NULL,
            vat BIGINT NOT NULL,
            total BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            issued_at BIGINT NULL,
            paid_at BIGINT NULL,
            voided_at BIGINT NULL,
            payment_reference TEXT NULL,
            stripe_invoice_id TEXT NULL,
            UNIQUE (account_id, period)
        );
        CREATE TABLE invoice_lines (
            invoice_id TEXT NOT NULL REFERENCES invoices(id),
            position BIGINT NOT NULL,
            kind TEXT NOT NULL,
            description TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            unit TEXT NOT NULL,
            unit_price BIGINT NOT NULL,
            amount BIGINT NOT NULL,
            PRIMARY KEY (invoice_id, position)
        );
        CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value BIGINT NOT NULL
        );
        CREATE TABLE stripe_events (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            received_at BIGINT NOT NULL
        );
        INSERT INTO counters (name, value) VALUES ('invoice', 0);
        """;

    // Prices are whole đồng. Graduated tiers count billable requests in the month; "upTo" is the last request
    // of a tier, null for the open-ended top tier. Requests up to the included amount are free.
    const string Seed = """
        INSERT INTO plans VALUES ('free', 'Miễn phí (Free)', 5, 60, 10000, 1000000000, 10000, 1000000000, 0, 0,
            '[]', '2xx');
        INSERT INTO plans VALUES ('developer', 'Nhà phát triển (Developer)', 20, 600, 2000000, 50000000000, 100000, 5000000000, 199000, 5000,
            '[{"upTo":500000,"pricePer1000":2000},{"upTo":null,"pricePer1000":1500}]', '2xx');
        INSERT INTO plans VALUES ('partner', 'Đối tác (Partner)', 100, 6000, 0, 0, 1000000, 50000000000, 2500000, 3000,
            '[{"upTo":5000000,"pricePer1000":1000},{"upTo":20000000,"pricePer1000":700},{"upTo":null,"pricePer1000":500}]', '2xx');
        INSERT INTO products VALUES ('hr-analytics', 'Phân tích nhân sự công vụ',
            'Biên chế, cán bộ, công chức và viên chức theo đơn vị, cập nhật hằng tháng.', 1500000,
            '["bien-che","can-bo-cong-chuc","vien-chuc"]');
        INSERT INTO products VALUES ('admin-units', 'Đơn vị hành chính',
            'Danh mục và lịch sử sáp nhập đơn vị hành chính các cấp.', 500000,
            '["don-vi-hanh-chinh","lich-su-sap-nhap"]');
        """;

    // Every meter event sent to Stripe, so that a sync sends each hour once and a late-growing hour only its growth.
    const string StripeMeterEvents = """
        CREATE TABLE stripe_meter_events (
            identifier TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            metric TEXT NOT NULL,
            hour BIGINT NOT NULL,
            value BIGINT NOT NULL,
            sent_at BIGINT NOT NULL
        );
        CREATE INDEX stripe_meter_events_account ON stripe_meter_events(account_id, metric, hour);
        """;

    // The first seed named datasets the catalog never had. The catalog's sample data (catalog/…/SampleData) has one
    // paid dataset, in the product hr-analytics; its administrative-unit datasets are open and in no product. Rows an
    // admin has edited since are left alone; a product someone subscribes to is kept.
    const string SampleProducts = """
        UPDATE products SET datasets = '["bien-che-cong-chuc-theo-tinh"]'
        WHERE id = 'hr-analytics' AND datasets = '["bien-che","can-bo-cong-chuc","vien-chuc"]';
        DELETE FROM products
        WHERE id = 'admin-units' AND datasets = '["don-vi-hanh-chinh","lich-su-sap-nhap"]'
          AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE kind = 'product' AND item_id = 'admin-units');
        """;

    // Members: invitations mailed by owners; the roles a key was given when it was made (never more than its
    // creator's); failed sign-ins per e-mail address and per client address, for lockout.
    const string Members = """
        CREATE TABLE invitations (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            email TEXT NOT NULL,
            role TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            invited_by TEXT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            accepted_at BIGINT NULL,
            revoked_at BIGINT NULL
        );
        CREATE INDEX invitations_account ON invitations(account_id);
        ALTER TABLE api_keys ADD COLUMN roles TEXT NULL;
        CREATE TABLE sign_in_failures (
            subject TEXT PRIMARY KEY,
            failures BIGINT NOT NULL,
            window_started_at BIGINT NOT NULL,
            locked_until BIGINT NULL
        );
        """;

    // What billing created in Stripe: a Product per plan and data product, Prices (immutable in Stripe, so a changed
    // price is a new one, kept here by the fingerprint of its terms), and each account's Subscription.
    const string StripeCatalog = """
        CREATE TABLE stripe_objects (
            local_key TEXT PRIMARY KEY,
            stripe_id TEXT NOT NULL,
            created_at BIGINT NOT NULL
        );
        ALTER TABLE accounts ADD COLUMN stripe_subscription_id TEXT NULL;
        """;

    public static IEnumerable<Migration> All =>
    [
        new(1, "billing tables", Schema, Schema),
        new(2, "seed plans and data products", Seed, Seed),
        new(3, "stripe meter events", StripeMeterEvents, StripeMeterEvents),
        new(4, "sample products name the catalog's sample datasets", SampleProducts, SampleProducts),
        new(5, "members, invitations, key roles and sign-in lockout", Members, Members),
        new(6, "stripe products, prices and subscriptions", StripeCatalog, StripeCatalog),
    ];
}
