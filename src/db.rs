//! Database connections. SQLite gets WAL, synchronous=NORMAL, a busy timeout and a single
//! writer connection, so concurrent writes queue instead of failing with "database is locked".
//! PostgreSQL uses one pool for both.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

#[derive(Clone, Debug)]
pub struct Db {
    /// Reads (many connections).
    pub read: DatabaseConnection,
    /// Writes and transactions; one connection on SQLite.
    pub write: DatabaseConnection,
}

impl Db {
    /// `readers`: SQLite read connections (each has its own worker thread in sqlx).
    pub async fn connect(url: &str, readers: u32) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            if let Some(path) = url
                .strip_prefix("sqlite://")
                .and_then(|p| p.split('?').next())
            {
                if let Some(parent) = std::path::Path::new(path).parent() {
                    std::fs::create_dir_all(parent).ok();
                }
            }
            let read = Database::connect(sqlite_opts(url, readers.max(1))).await?;
            let write = Database::connect(sqlite_opts(url, 1)).await?;
            Ok(Self { read, write })
        } else {
            let mut opts = ConnectOptions::new(url);
            opts.max_connections(20)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            let pool = Database::connect(opts).await?;
            Ok(Self {
                read: pool.clone(),
                write: pool,
            })
        }
    }

    /// A write transaction. On SQLite it takes the write lock at BEGIN (`BEGIN IMMEDIATE`),
    /// so a transaction that reads then writes can never fail half-way with "database is
    /// locked" because another process wrote in between: it waits (busy_timeout) instead.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.write
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
    }

    pub fn backend(&self) -> DbBackend {
        self.write.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.write, None).await?;
        Ok(())
    }
}

/// Runs statements in order. On SQLite they go to the connection's thread as one query (sqlx
/// runs a multi-statement query statement by statement, binding the parameters in order), so a
/// transaction that writes four rows costs one round trip instead of four; PostgreSQL takes one
/// statement per query, so there they run one after another. Stops at the first error.
pub async fn execute_all(
    conn: &impl ConnectionTrait,
    statements: Vec<Statement>,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    if backend != DbBackend::Sqlite {
        for s in statements {
            conn.execute_raw(s).await?;
        }
        return Ok(());
    }
    let mut sql = String::new();
    let mut values = Vec::new();
    for s in statements {
        sql.push_str(&s.sql);
        sql.push_str(";\n");
        if let Some(v) = s.values {
            values.extend(v.0);
        }
    }
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

fn sqlite_opts(url: &str, max: u32) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        // A local file needs no liveness ping before every query (it costs a round trip
        // through the connection's worker thread).
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    opts
}
