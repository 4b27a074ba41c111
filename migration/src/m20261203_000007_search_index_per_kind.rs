//! On PostgreSQL, one trigram index per kind of search document instead of one for all: every
//! search names its kind, and an index of its kind alone reads and rechecks only that kind's
//! documents (a registration search at a million registrations no longer fetches the accounts
//! that match too). SQLite has an FTS table per kind already.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const KINDS: &[&str] = &["registration", "account", "partner", "audit"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        for kind in KINDS {
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_search_docs_{kind} ON search_docs \
                 USING gin (lower(body) gin_trgm_ops) WHERE kind = '{kind}'"
            ))
            .await?;
        }
        db.execute_unprepared("DROP INDEX idx_search_docs_body")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE INDEX idx_search_docs_body ON search_docs USING gin (lower(body) gin_trgm_ops)",
        )
        .await?;
        for kind in KINDS {
            db.execute_unprepared(&format!("DROP INDEX idx_search_docs_{kind}"))
                .await?;
        }
        Ok(())
    }
}
