//! Search that scales: one document per searchable record (`search_docs`: its kind, the record,
//! the scope it is searched in, and its text), kept in step by triggers in the same transaction
//! as every change to the records. On SQLite an FTS5 table per kind with the trigram tokenizer
//! indexes the text (external content); on PostgreSQL a pg_trgm GIN index on its lower case. Both answer
//! "contains this text" (three characters or more) without reading every row.
//!
//! Documents: `registration` (scope: its partner; text: the account's company and primary
//! email and the registration's friendly name) and `account` (no scope; company, primary email
//! and tags).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE search_docs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_id BLOB NOT NULL,
        scope_id BLOB,
        body TEXT NOT NULL,
        UNIQUE (kind, subject_id)
    )",
    // One FTS table per kind, so a search reads only its own kind's entries.
    "CREATE VIRTUAL TABLE registration_fts USING fts5(body, content='search_docs', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE account_fts USING fts5(body, content='search_docs', content_rowid='id', tokenize='trigram')",
    // The FTS indexes follow their content table (SQLite's external-content recipe).
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
        INSERT INTO registration_fts(rowid, body) SELECT new.id, new.body WHERE new.kind = 'registration';
        INSERT INTO account_fts(rowid, body) SELECT new.id, new.body WHERE new.kind = 'account';
    END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
        INSERT INTO registration_fts(registration_fts, rowid, body) SELECT 'delete', old.id, old.body WHERE old.kind = 'registration';
        INSERT INTO account_fts(account_fts, rowid, body) SELECT 'delete', old.id, old.body WHERE old.kind = 'account';
    END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
        INSERT INTO registration_fts(registration_fts, rowid, body) SELECT 'delete', old.id, old.body WHERE old.kind = 'registration';
        INSERT INTO account_fts(account_fts, rowid, body) SELECT 'delete', old.id, old.body WHERE old.kind = 'account';
        INSERT INTO registration_fts(rowid, body) SELECT new.id, new.body WHERE new.kind = 'registration';
        INSERT INTO account_fts(rowid, body) SELECT new.id, new.body WHERE new.kind = 'account';
    END",
    // Registrations.
    "CREATE TRIGGER registrations_search_ai AFTER INSERT ON registrations BEGIN
        INSERT INTO search_docs(kind, subject_id, scope_id, body)
        SELECT 'registration', new.id, new.partner_id,
               a.company_name || ' ' || a.primary_email || ' ' || new.friendly_name
        FROM accounts a WHERE a.id = new.account_id;
    END",
    "CREATE TRIGGER registrations_search_au AFTER UPDATE OF friendly_name ON registrations BEGIN
        UPDATE search_docs
        SET body = (SELECT a.company_name || ' ' || a.primary_email || ' ' || new.friendly_name
                    FROM accounts a WHERE a.id = new.account_id)
        WHERE kind = 'registration' AND subject_id = new.id;
    END",
    "CREATE TRIGGER registrations_search_ad AFTER DELETE ON registrations BEGIN
        DELETE FROM search_docs WHERE kind = 'registration' AND subject_id = old.id;
    END",
    // Accounts, and the registrations that show their names.
    "CREATE TRIGGER accounts_search_ai AFTER INSERT ON accounts BEGIN
        INSERT INTO search_docs(kind, subject_id, scope_id, body)
        VALUES ('account', new.id, NULL, new.company_name || ' ' || new.primary_email || ' ' || new.tags);
    END",
    "CREATE TRIGGER accounts_search_au AFTER UPDATE OF company_name, primary_email, tags ON accounts BEGIN
        UPDATE search_docs
        SET body = new.company_name || ' ' || new.primary_email || ' ' || new.tags
        WHERE kind = 'account' AND subject_id = new.id;
        UPDATE search_docs
        SET body = (SELECT new.company_name || ' ' || new.primary_email || ' ' || r.friendly_name
                    FROM registrations r WHERE r.id = search_docs.subject_id)
        WHERE kind = 'registration'
          AND subject_id IN (SELECT id FROM registrations WHERE account_id = new.id);
    END",
    "CREATE TRIGGER accounts_search_ad AFTER DELETE ON accounts BEGIN
        DELETE FROM search_docs WHERE kind = 'account' AND subject_id = old.id;
    END",
    // What exists already.
    "INSERT INTO search_docs(kind, subject_id, scope_id, body)
     SELECT 'account', id, NULL, company_name || ' ' || primary_email || ' ' || tags FROM accounts",
    "INSERT INTO search_docs(kind, subject_id, scope_id, body)
     SELECT 'registration', r.id, r.partner_id, a.company_name || ' ' || a.primary_email || ' ' || r.friendly_name
     FROM registrations r JOIN accounts a ON a.id = r.account_id",
];

const POSTGRES: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE search_docs (
        id BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_id UUID NOT NULL,
        scope_id UUID,
        body TEXT NOT NULL,
        UNIQUE (kind, subject_id)
    )",
    "CREATE INDEX idx_search_docs_body ON search_docs USING gin (lower(body) gin_trgm_ops)",
    "CREATE INDEX idx_search_docs_scope ON search_docs (kind, scope_id)",
    "CREATE FUNCTION search_registration() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM search_docs WHERE kind = 'registration' AND subject_id = OLD.id;
            RETURN OLD;
        END IF;
        INSERT INTO search_docs(kind, subject_id, scope_id, body)
        SELECT 'registration', NEW.id, NEW.partner_id,
               a.company_name || ' ' || a.primary_email || ' ' || NEW.friendly_name
        FROM accounts a WHERE a.id = NEW.account_id
        ON CONFLICT (kind, subject_id) DO UPDATE SET body = EXCLUDED.body, scope_id = EXCLUDED.scope_id;
        RETURN NEW;
    END $$",
    "CREATE TRIGGER registrations_search AFTER INSERT OR UPDATE OF friendly_name OR DELETE ON registrations
     FOR EACH ROW EXECUTE FUNCTION search_registration()",
    "CREATE FUNCTION search_account() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM search_docs WHERE kind = 'account' AND subject_id = OLD.id;
            RETURN OLD;
        END IF;
        INSERT INTO search_docs(kind, subject_id, scope_id, body)
        VALUES ('account', NEW.id, NULL, NEW.company_name || ' ' || NEW.primary_email || ' ' || NEW.tags)
        ON CONFLICT (kind, subject_id) DO UPDATE SET body = EXCLUDED.body;
        IF TG_OP = 'UPDATE' THEN
            UPDATE search_docs d
            SET body = NEW.company_name || ' ' || NEW.primary_email || ' ' || r.friendly_name
            FROM registrations r
            WHERE d.kind = 'registration' AND d.subject_id = r.id AND r.account_id = NEW.id;
        END IF;
        RETURN NEW;
    END $$",
    "CREATE TRIGGER accounts_search AFTER INSERT OR UPDATE OF company_name, primary_email, tags OR DELETE ON accounts
     FOR EACH ROW EXECUTE FUNCTION search_account()",
    "INSERT INTO search_docs(kind, subject_id, scope_id, body)
     SELECT 'account', id, NULL, company_name || ' ' || primary_email || ' ' || tags FROM accounts",
    "INSERT INTO search_docs(kind, subject_id, scope_id, body)
     SELECT 'registration', r.id, r.partner_id, a.company_name || ' ' || a.primary_email || ' ' || r.friendly_name
     FROM registrations r JOIN accounts a ON a.id = r.account_id",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let statements = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let statements: &[&str] = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => &[
                "DROP TRIGGER IF EXISTS accounts_search ON accounts",
                "DROP TRIGGER IF EXISTS registrations_search ON registrations",
                "DROP FUNCTION IF EXISTS search_account()",
                "DROP FUNCTION IF EXISTS search_registration()",
                "DROP TABLE IF EXISTS search_docs",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS accounts_search_ad",
                "DROP TRIGGER IF EXISTS accounts_search_au",
                "DROP TRIGGER IF EXISTS accounts_search_ai",
                "DROP TRIGGER IF EXISTS registrations_search_ad",
                "DROP TRIGGER IF EXISTS registrations_search_au",
                "DROP TRIGGER IF EXISTS registrations_search_ai",
                "DROP TABLE IF EXISTS registration_fts",
                "DROP TABLE IF EXISTS account_fts",
                "DROP TABLE IF EXISTS search_docs",
            ],
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
