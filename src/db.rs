//! Database connections. SQLite gets WAL, synchronous=NORMAL, a busy timeout and a single
//! writer connection, so concurrent writes queue instead of failing with "database is locked";
//! its reads go through [`Reader`]. PostgreSQL uses one pool for both.
use std::{str::FromStr, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::{
        sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
        ConnectOptions as _,
    },
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

mod reader;
pub use reader::Reader;

#[derive(Clone, Debug)]
pub struct Db {
    /// Reads (many connections).
    pub read: Reader,
    /// Writes and transactions; one connection on SQLite.
    pub write: DatabaseConnection,
    /// SQLite only: the group-commit queue behind [`Db::commit_all`].
    batches: Option<mpsc::Sender<Job>>,
}

impl Db {
    /// `readers`: SQLite read connections (each has its own worker thread in sqlx).
    /// `mmap_bytes`: SQLite's memory map per connection (see `Config::sqlite_mmap_bytes`).
    pub async fn connect(url: &str, readers: u32, mmap_bytes: u64) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            if let Some(path) = url
                .strip_prefix("sqlite://")
                .and_then(|p| p.split('?').next())
            {
                if let Some(parent) = std::path::Path::new(path).parent() {
                    std::fs::create_dir_all(parent).ok();
                }
            }
            let tuned = move |o| tuned(o, mmap_bytes);
            let read = Reader::sqlite(
                tuned(SqliteConnectOptions::from_str(url)?)
                    .pragma("query_only", "ON")
                    .disable_statement_logging(),
                readers,
            )?;
            let write = Database::connect(writer_opts(url, mmap_bytes)).await?;
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(group_commit(write.clone(), rx));
            Ok(Self {
                read,
                write,
                batches: Some(tx),
            })
        } else {
            let mut opts = ConnectOptions::new(url);
            opts.max_connections(20)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .sqlx_logging(false)
                // Pages read tens of rows through indexes. A parallel plan starts worker
                // processes (about 8 ms) to save less than a millisecond, and the planner
                // picks one when a trigram search's row estimate runs high: a search that
                // matches nothing took 9 ms instead of 0.1 ms at a million registrations.
                .map_sqlx_postgres_opts(|o| o.options([("max_parallel_workers_per_gather", "0")]));
            let pool = Database::connect(opts).await?;
            Ok(Self {
                read: Reader::Shared(pool.clone()),
                write: pool,
                batches: None,
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

    /// Writes `statements` in a transaction of their own: all of them or, on an error, none.
    /// Only for writes that need no read inside the transaction. Never call it while holding
    /// a transaction from [`Db::begin`]: on SQLite the job would wait for the writer that
    /// transaction holds.
    ///
    /// On SQLite the statements join a group commit: one task holds the single writer and
    /// runs every job waiting at that moment in one transaction, each job inside a savepoint
    /// so a failing job (say, a unique index refusing a row) is rolled back alone. A commit
    /// costs SQLite the same whether it carries one job or forty, so under load this gives
    /// many times the throughput of a transaction per request. The answer comes after the
    /// commit. On PostgreSQL, which commits concurrently, each call is its own transaction.
    pub async fn commit_all(&self, statements: Vec<Statement>) -> Result<(), DbErr> {
        let Some(queue) = &self.batches else {
            let txn = self.begin().await?;
            execute_all(&txn, statements).await?;
            return txn.commit().await;
        };
        let (done, answer) = oneshot::channel();
        queue
            .send(Job { statements, done })
            .await
            .map_err(|_| DbErr::Custom("the write queue has stopped".into()))?;
        answer
            .await
            .unwrap_or_else(|_| Err(DbErr::Custom("the write queue has stopped".into())))
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

/// A statement that fails, and with it every statement written together with it (a
/// [`Db::commit_all`] batch), unless `condition` selects a row at that moment: it inserts the
/// `orders` counter's row again (which exists, so the key refuses it) when `condition` finds
/// nothing, and nothing when it finds something.
pub fn guard(backend: DbBackend, condition: sea_orm::sea_query::SelectStatement) -> Statement {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let otherwise = Query::select()
        .expr(Expr::val("orders"))
        .expr(Expr::val(0i64))
        .and_where(Expr::exists(condition).not())
        .to_owned();
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new("counters"))
        .columns([Alias::new("name"), Alias::new("value")]);
    if insert.select_from(otherwise).is_err() {
        unreachable!("two columns, two values");
    }
    backend.build(&insert)
}

/// Jobs waiting for the writer; senders wait when it is full.
const QUEUE: usize = 4096;
/// Most jobs in one transaction, so one batch's answers are not held back too long.
const MAX_BATCH: usize = 64;

struct Job {
    statements: Vec<Statement>,
    done: oneshot::Sender<Result<(), DbErr>>,
}

/// Runs until every sender is gone: takes the first waiting job and every job queued behind
/// it (up to `MAX_BATCH`), and commits them together.
async fn group_commit(write: DatabaseConnection, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let statements = jobs
            .iter_mut()
            .map(|j| std::mem::take(&mut j.statements))
            .collect();
        let results = commit_batch(&write, statements).await;
        for (job, result) in jobs.drain(..).zip(results) {
            // The caller may have gone (request cancelled); its rows are committed anyway.
            let _ = job.done.send(result);
        }
    }
}

/// Commits the batch in one transaction and returns one result per job. Fast path: BEGIN,
/// every job's statements in one round trip, COMMIT. If a statement fails, that transaction
/// is rolled back and the batch runs again job by job, each inside a savepoint, so only the
/// failing job is refused. If BEGIN or COMMIT fails nothing was written: every job gets the
/// error.
async fn commit_batch(
    write: &DatabaseConnection,
    jobs: Vec<Vec<Statement>>,
) -> Vec<Result<(), DbErr>> {
    let n = jobs.len();
    let all_failed = |e: DbErr| {
        tracing::warn!(error = %e, jobs = n, "group commit failed");
        (0..n)
            .map(|_| Err(DbErr::Custom(format!("write failed: {e}"))))
            .collect()
    };
    let begin = || {
        write.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
    };
    if n > 1 {
        let txn = match begin().await {
            Ok(t) => t,
            Err(e) => return all_failed(e),
        };
        if execute_all(&txn, jobs.iter().flatten().cloned().collect())
            .await
            .is_ok()
        {
            return match txn.commit().await {
                Ok(()) => (0..n).map(|_| Ok(())).collect(),
                Err(e) => all_failed(e),
            };
        }
        if let Err(e) = txn.rollback().await {
            return all_failed(e);
        }
    }
    let txn = match begin().await {
        Ok(t) => t,
        Err(e) => return all_failed(e),
    };
    let backend = write.get_database_backend();
    let mut results = Vec::with_capacity(n);
    for statements in jobs {
        let mut wrapped = Vec::with_capacity(statements.len() + 2);
        wrapped.push(Statement::from_string(backend, "SAVEPOINT job"));
        wrapped.extend(statements);
        wrapped.push(Statement::from_string(backend, "RELEASE job"));
        let result = execute_all(&txn, wrapped).await;
        if result.is_err() {
            if let Err(e) = txn.execute_unprepared("ROLLBACK TO job; RELEASE job").await {
                return all_failed(e);
            }
        }
        results.push(result);
    }
    match txn.commit().await {
        Ok(()) => results,
        Err(e) => all_failed(e),
    }
}

/// The one SQLite writer (sea-orm's pool of one connection).
fn writer_opts(url: &str, mmap_bytes: u64) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(1)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        // A local file needs no liveness ping before every query (it costs a round trip
        // through the connection's worker thread).
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |o| tuned(o, mmap_bytes));
    opts
}

/// The settings of every SQLite connection, the writer's and the readers'.
fn tuned(o: SqliteConnectOptions, mmap_bytes: u64) -> SqliteConnectOptions {
    o.journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        // Reads through a memory map instead of a pread per page: every write empties the
        // other connections' page caches, so under write load reads were mostly syscalls
        // and copies. The map is address space, not memory of our own: its pages are the
        // operating system's file cache, shared and dropped under memory pressure, but RSS
        // counts them once per connection that touched them (RssFile in /proc/PID/status).
        .pragma("mmap_size", mmap_bytes.to_string())
        .create_if_missing(true)
}
