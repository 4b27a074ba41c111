//! PostgreSQL: a registration's search document carries the registration's creation time
//! (`sort_at`), so a search shown newest first (My Customers' default) picks the page's rows
//! among its matches inside the index query and reads only those registrations and accounts.
//! SQLite reads a search's matching ids before the list query and has no use for it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "ALTER TABLE search_docs ADD COLUMN sort_at TIMESTAMPTZ",
    "CREATE OR REPLACE FUNCTION search_registration() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM search_docs WHERE kind = 'registration' AND subject_id = OLD.id;
            RETURN OLD;
        END IF;
        INSERT INTO search_docs(kind, subject_id, scope_id, body, sort_at)
        SELECT 'registration', NEW.id, NEW.partner_id,
               a.company_name || ' ' || a.primary_email || ' ' || NEW.friendly_name,
               NEW.created_at
        FROM accounts a WHERE a.id = NEW.account_id
        ON CONFLICT (kind, subject_id) DO UPDATE
            SET body = EXCLUDED.body, scope_id = EXCLUDED.scope_id, sort_at = EXCLUDED.sort_at;
        RETURN NEW;
    END $$",
    "UPDATE search_docs d SET sort_at = r.created_at
     FROM registrations r WHERE d.kind = 'registration' AND d.subject_id = r.id",
];

const DOWN: &[&str] = &[
    "CREATE OR REPLACE FUNCTION search_registration() RETURNS trigger LANGUAGE plpgsql AS $$
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
    "ALTER TABLE search_docs DROP COLUMN sort_at",
];

async fn run(m: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if m.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    for sql in statements {
        m.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, DOWN).await
    }
}
