//! The read side of [`super::Db`]. On SQLite, reads go through a deadpool pool of sqlx
//! connections instead of sqlx's own pool; on PostgreSQL they share sea-orm's pool with writes.
//!
//! Why not sqlx's pool on SQLite: when a `PoolConnection` is dropped, sqlx spawns a task that
//! pings the connection before putting it back. A SQLite connection is a worker thread, so the
//! ping is one more round trip between threads (two wake-ups) after every query, and the
//! connection cannot be handed out until it is done. Measured on My Customers (two reads a page
//! view): 15–20 % more requests/s without it.
//!
//! The ping matters only when a caller gives up half-way (a request cancelled by its client):
//! the worker still finishes the statement, or stops at the next row it cannot deliver, and a
//! query sent meanwhile would wait behind it. So a connection whose read did not finish goes
//! back only once a ping has come back ([`Lease`]), as sqlx does after every read. The worker
//! gives each query its own row channel and a reset statement, so nothing of the abandoned
//! read reaches the next (both tested in `tests/it/db.rs`).
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleResult};
use sea_orm::{
    sqlx::{self, sqlite::SqliteConnectOptions, AssertSqlSafe, Connection, SqliteConnection},
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;

/// How long a read waits for a free connection, and then for a new one to open, before it
/// fails.
const WAIT: Duration = Duration::from_secs(15);

#[derive(Clone, Debug)]
pub enum Reader {
    /// SQLite: `SQLITE_READERS` connections kept by deadpool.
    Sqlite(managed::Pool<ReaderManager>),
    /// PostgreSQL: sea-orm's pool, shared with writes.
    Shared(DatabaseConnection),
}

/// Opens SQLite read connections, and takes them back as they are (see the module docs).
#[derive(Debug)]
pub struct ReaderManager {
    options: SqliteConnectOptions,
}

impl managed::Manager for ReaderManager {
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
    /// `options` should make the connections read-only (`query_only`): writes go through the
    /// single writer.
    pub fn sqlite(options: SqliteConnectOptions, size: u32) -> anyhow::Result<Self> {
        let pool = managed::Pool::builder(ReaderManager { options })
            .max_size(size.max(1) as usize)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self::Sqlite(pool))
    }
}

/// A read connection lent for one query. [`Lease::finish`] gives it back once the query has
/// answered; dropped before that (the caller gave up), it goes back only after its worker has
/// answered a ping, that is, has finished with the abandoned statement.
struct Lease(Option<Object<ReaderManager>>);

impl Lease {
    async fn take(pool: &managed::Pool<ReaderManager>) -> Result<Self, DbErr> {
        match pool.get().await {
            Ok(conn) => Ok(Self(Some(conn))),
            Err(PoolError::Backend(e)) => Err(DbErr::Conn(RuntimeErr::SqlxError(e.into()))),
            Err(PoolError::Closed) => {
                Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))
            }
            Err(_) => Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
        }
    }

    fn conn(&mut self) -> &mut SqliteConnection {
        self.0
            .as_mut()
            .expect("a lease holds its connection until finished")
    }

    /// Gives the connection back, except one whose worker thread has stopped: that one leaves
    /// the pool, which opens a new one in its place.
    fn finish<T>(
        mut self,
        result: Result<T, sqlx::Error>,
        wrap: fn(RuntimeErr) -> DbErr,
    ) -> Result<T, DbErr> {
        let conn = self.0.take().expect("a lease is finished once");
        result.map_err(|e| {
            if matches!(e, sqlx::Error::WorkerCrashed) {
                drop(Object::take(conn));
            }
            wrap(RuntimeErr::SqlxError(e.into()))
        })
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(mut conn) = self.0.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to wait on (shutting down): close it rather than lend it out busy.
            drop(Object::take(conn));
            return;
        };
        runtime.spawn(async move {
            if conn.ping().await.is_err() {
                drop(Object::take(conn));
            }
        });
    }
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
                let mut lease = Lease::take(pool).await?;
                let result = query(stmt).execute(lease.conn()).await;
                lease.finish(result, DbErr::Exec).map(Into::into)
            }
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Self::Shared(db) => db.execute_unprepared(sql).await,
            Self::Sqlite(pool) => {
                let mut lease = Lease::take(pool).await?;
                let result = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                    .execute(lease.conn())
                    .await;
                lease.finish(result, DbErr::Exec).map(Into::into)
            }
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Self::Shared(db) => db.query_one_raw(stmt).await,
            Self::Sqlite(pool) => {
                let mut lease = Lease::take(pool).await?;
                let result = query(stmt).fetch_optional(lease.conn()).await;
                lease
                    .finish(result, DbErr::Query)
                    .map(|row| row.map(Into::into))
            }
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Self::Shared(db) => db.query_all_raw(stmt).await,
            Self::Sqlite(pool) => {
                let mut lease = Lease::take(pool).await?;
                let result = query(stmt).fetch_all(lease.conn()).await;
                lease
                    .finish(result, DbErr::Query)
                    .map(|rows| rows.into_iter().map(Into::into).collect())
            }
        }
    }
}
