//! The read side of [`super::Db`]. On SQLite, reads go through a deadpool pool of sqlx
//! connections instead of sqlx's own pool; on PostgreSQL they share sea-orm's pool with writes.
//!
//! Why not sqlx's pool on SQLite: when a `PoolConnection` is dropped, sqlx spawns a task that
//! pings the connection before putting it back. A SQLite connection is a worker thread, so the
//! ping is one more round trip between threads (two wake-ups) after every query, and the
//! connection cannot be handed out until it is done. Measured on My Customers (two reads a page
//! view): 15–20 % more requests/s without it. The ping guards against a query abandoned
//! half-way; a SQLite worker runs its commands in order and stops streaming rows to a caller
//! that has gone, so the next query on that connection simply runs after it (tested in
//! `tests/it/db.rs`).
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, RecycleResult};
use sea_orm::{
    sqlx::{self, sqlite::SqliteConnectOptions, AssertSqlSafe, Connection, SqliteConnection},
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};
use sea_query_sqlx::SqlxValues;

/// How long a read waits for a free connection before it fails.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub enum Reader {
    /// SQLite: `SQLITE_READERS` connections kept by deadpool.
    Sqlite(managed::Pool<Connections>),
    /// PostgreSQL: sea-orm's pool, shared with writes.
    Shared(DatabaseConnection),
}

/// Opens SQLite read connections; hands them back as they are (see the module docs).
#[derive(Debug)]
pub struct Connections {
    options: SqliteConnectOptions,
}

impl managed::Manager for Connections {
    type Type = SqliteConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<SqliteConnection, sqlx::Error> {
        SqliteConnection::connect_with(&self.options).await
    }

    async fn recycle(&self, _: &mut SqliteConnection, _: &Metrics) -> RecycleResult<sqlx::Error> {
        Ok(())
    }
}

impl Reader {
    pub fn sqlite(options: SqliteConnectOptions, size: u32) -> anyhow::Result<Self> {
        let pool = managed::Pool::builder(Connections { options })
            .max_size(size.max(1) as usize)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self::Sqlite(pool))
    }

    async fn connection(pool: &managed::Pool<Connections>) -> Result<Object<Connections>, DbErr> {
        pool.get()
            .await
            .map_err(|e| DbErr::Conn(RuntimeErr::Internal(format!("read connection: {e}"))))
    }
}

/// A connection whose worker thread has stopped is dropped from the pool instead of being
/// handed out again.
fn checked<T>(
    conn: Object<Connections>,
    result: Result<T, sqlx::Error>,
    wrap: fn(RuntimeErr) -> DbErr,
) -> Result<T, DbErr> {
    result.map_err(|e| {
        if matches!(e, sqlx::Error::WorkerCrashed | sqlx::Error::Io(_)) {
            drop(Object::take(conn));
        }
        wrap(RuntimeErr::SqlxError(e.into()))
    })
}

fn query(stmt: Statement) -> sqlx::query::Query<'static, sqlx::Sqlite, SqlxValues> {
    let values = stmt.values.unwrap_or(sea_orm::Values(Vec::new()));
    sqlx::query_with(AssertSqlSafe(stmt.sql), SqlxValues(values))
}

#[async_trait::async_trait]
impl ConnectionTrait for Reader {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Self::Sqlite(_) => DbBackend::Sqlite,
            Self::Shared(db) => db.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Self::Shared(db) => db.execute_raw(stmt).await,
            Self::Sqlite(pool) => {
                let mut conn = Self::connection(pool).await?;
                let result = query(stmt).execute(&mut *conn).await;
                checked(conn, result, DbErr::Exec).map(Into::into)
            }
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Self::Shared(db) => db.execute_unprepared(sql).await,
            Self::Sqlite(pool) => {
                let mut conn = Self::connection(pool).await?;
                let result = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(&mut *conn)
                    .await;
                checked(conn, result, DbErr::Exec).map(Into::into)
            }
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Self::Shared(db) => db.query_one_raw(stmt).await,
            Self::Sqlite(pool) => {
                let mut conn = Self::connection(pool).await?;
                let result = query(stmt).fetch_optional(&mut *conn).await;
                checked(conn, result, DbErr::Query).map(|row| row.map(Into::into))
            }
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Self::Shared(db) => db.query_all_raw(stmt).await,
            Self::Sqlite(pool) => {
                let mut conn = Self::connection(pool).await?;
                let result = query(stmt).fetch_all(&mut *conn).await;
                checked(conn, result, DbErr::Query)
                    .map(|rows| rows.into_iter().map(Into::into).collect())
            }
        }
    }
}
