//! More kinds of search document (see `m20261203_000004_search`): `partner` (no scope; company
//! and contact name), for staff's partner list and the approval queue's partner column, and
//! `audit` (scope: the event's partner; the actor's label), for the audit log's actor search.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The FTS tables each kind's documents go to (SQLite).
const KINDS: &[(&str, &str)] = &[
    ("registration", "registration_fts"),
    ("account", "account_fts"),
    ("partner", "partner_fts"),
    ("audit", "audit_fts"),
];

/// SQLite's triggers that keep the FTS tables of `kinds` in step with `search_docs`, in place
/// of the ones there.
fn sqlite_doc_triggers(kinds: &[(&str, &str)]) -> Vec<String> {
    let each = |f: &dyn Fn(&str, &str) -> String| {
        kinds
            .iter()
            .map(|(kind, table)| f(kind, table))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let insert = |kind: &str, table: &str| {
        format!(
            "INSERT INTO {table}(rowid, body) SELECT new.id, new.body WHERE new.kind = '{kind}';"
        )
    };
    let delete = |kind: &str, table: &str| {
        format!("INSERT INTO {table}({table}, rowid, body) SELECT 'delete', old.id, old.body WHERE old.kind = '{kind}';")
    };
    vec![
        "DROP TRIGGER search_docs_ai".into(),
        "DROP TRIGGER search_docs_ad".into(),
        "DROP TRIGGER search_docs_au".into(),
        format!(
            "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN\n{}\nEND",
            each(&insert)
        ),
        format!(
            "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN\n{}\nEND",
            each(&delete)
        ),
        format!(
            "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN\n{}\n{}\nEND",
            each(&delete),
            each(&insert)
        ),
    ]
}

const SQLITE: &[&str] = &[
    "CREATE VIRTUAL TABLE partner_fts USING fts5(body, content='search_docs', content_rowid='id', tokenize='trigram')",
    "CREATE VIRTUAL TABLE audit_fts USING fts5(body, content='search_docs', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER partners_search_ai AFTER INSERT ON partners BEGIN
        INSERT INTO search_docs(kind, subject_id, scope_id, body)
        VALUES ('partner', new.id, NULL, new.company_name || ' ' || new.contact_name);
    END",
    "CREATE TRIGGER partners_search_au AFTER UPDATE OF company_name, contact_name ON partners BEGIN
        UPDATE search_docs SET body = new.company_name || ' ' || new.contact_name
        WHERE kind = 'partner' AND subject_id = new.id;
    END",
    "CREATE TRIGGER partners_search_ad AFTER DELETE ON partners BEGIN
        DELETE FROM search_docs WHERE kind = 'partner' AND subject_id = old.id;
    END",
    "CREATE TRIGGER audit_search_ai AFTER INSERT ON audit_events BEGIN
        INSERT INTO search_docs(kind, subject_id, scope_id, body)
        VALUES ('audit', new.id, new.partner_id, new.actor_label);
    END",
    "CREATE TRIGGER audit_search_ad AFTER DELETE ON audit_events BEGIN
        DELETE FROM search_docs WHERE kind = 'audit' AND subject_id = old.id;
    END",
];

const BACKFILL: &[&str] = &[
    "INSERT INTO search_docs(kind, subject_id, scope_id, body)
     SELECT 'partner', id, NULL, company_name || ' ' || contact_name FROM partners",
    "INSERT INTO search_docs(kind, subject_id, scope_id, body)
     SELECT 'audit', id, partner_id, actor_label FROM audit_events",
];

const POSTGRES: &[&str] = &[
    "CREATE FUNCTION search_partner() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM search_docs WHERE kind = 'partner' AND subject_id = OLD.id;
            RETURN OLD;
        END IF;
        INSERT INTO search_docs(kind, subject_id, scope_id, body)
        VALUES ('partner', NEW.id, NULL, NEW.company_name || ' ' || NEW.contact_name)
        ON CONFLICT (kind, subject_id) DO UPDATE SET body = EXCLUDED.body;
        RETURN NEW;
    END $$",
    "CREATE TRIGGER partners_search AFTER INSERT OR UPDATE OF company_name, contact_name OR DELETE ON partners
     FOR EACH ROW EXECUTE FUNCTION search_partner()",
    "CREATE FUNCTION search_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM search_docs WHERE kind = 'audit' AND subject_id = OLD.id;
            RETURN OLD;
        END IF;
        INSERT INTO search_docs(kind, subject_id, scope_id, body)
        VALUES ('audit', NEW.id, NEW.partner_id, NEW.actor_label);
        RETURN NEW;
    END $$",
    "CREATE TRIGGER audit_search AFTER INSERT OR DELETE ON audit_events
     FOR EACH ROW EXECUTE FUNCTION search_audit()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let mut statements: Vec<String> = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => POSTGRES.iter().map(|s| String::from(*s)).collect(),
            _ => SQLITE
                .iter()
                .map(|s| String::from(*s))
                .chain(sqlite_doc_triggers(KINDS))
                .collect(),
        };
        statements.extend(BACKFILL.iter().map(|s| String::from(*s)));
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let statements: Vec<String> = match m.get_database_backend() {
            sea_orm::DbBackend::Postgres => [
                "DROP TRIGGER IF EXISTS audit_search ON audit_events",
                "DROP TRIGGER IF EXISTS partners_search ON partners",
                "DROP FUNCTION IF EXISTS search_audit()",
                "DROP FUNCTION IF EXISTS search_partner()",
                "DELETE FROM search_docs WHERE kind IN ('partner', 'audit')",
            ]
            .iter()
            .map(|s| String::from(*s))
            .collect(),
            _ => [
                "DROP TRIGGER IF EXISTS audit_search_ad",
                "DROP TRIGGER IF EXISTS audit_search_ai",
                "DROP TRIGGER IF EXISTS partners_search_ad",
                "DROP TRIGGER IF EXISTS partners_search_au",
                "DROP TRIGGER IF EXISTS partners_search_ai",
                "DELETE FROM search_docs WHERE kind IN ('partner', 'audit')",
            ]
            .iter()
            .map(|s| String::from(*s))
            .chain(sqlite_doc_triggers(&KINDS[..2]))
            .chain([
                "DROP TABLE IF EXISTS partner_fts".to_string(),
                "DROP TABLE IF EXISTS audit_fts".to_string(),
            ])
            .collect(),
        };
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
