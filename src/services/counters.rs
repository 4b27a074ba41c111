//! Named counters. `next` takes the next value inside the caller's transaction, so a
//! rolled-back action leaves no gap and two instances never hand out the same number (the row
//! stays locked until the transaction ends): for numbers that must have no gaps (invoices).
//! A [`Block`] takes numbers a few at a time for one instance, outside any order's
//! transaction: unique and increasing per instance, with a gap when an instance stops with
//! numbers left (order numbers).
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Query},
    ConnectionTrait, DbErr,
};

pub async fn next(conn: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    next_n(conn, name, 1).await
}

/// Takes `n` numbers at once inside the caller's transaction; returns the last of them (they
/// are `last - n + 1 ..= last`).
pub async fn next_n(conn: &impl ConnectionTrait, name: &str, n: i64) -> Result<i64, DbErr> {
    // The step is bound as BIGINT, as in `Block::take`: both send the same SQL, and a
    // PostgreSQL connection that prepared it for a BIGINT refuses a 4-byte INT next time
    // ("insufficient data left in message").
    let stmt = Query::update()
        .table(Alias::new("counters"))
        .value(Alias::new("value"), Expr::col(Alias::new("value")).add(n))
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .returning_col(Alias::new("value"))
        .to_owned();
    let row = conn
        .query_one_raw(conn.get_database_backend().build(&stmt))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("counter {name}")))?;
    row.try_get("", "value")
}

/// Numbers of one counter reserved for this instance, `size` at a time.
pub struct Block {
    name: &'static str,
    size: i64,
    /// The next number to hand out and the end of the reserved range (exclusive).
    range: tokio::sync::Mutex<(i64, i64)>,
}

impl Block {
    pub fn new(name: &'static str, size: i64) -> Self {
        Self {
            name,
            size,
            range: tokio::sync::Mutex::new((0, 0)),
        }
    }

    /// The next number; reserves a new range in a transaction of its own when this one is
    /// used up.
    pub async fn take(&self, db: &crate::db::Db) -> Result<i64, DbErr> {
        let mut range = self.range.lock().await;
        if range.0 >= range.1 {
            let stmt = Query::update()
                .table(Alias::new("counters"))
                .value(
                    Alias::new("value"),
                    Expr::col(Alias::new("value")).add(self.size),
                )
                .and_where(Expr::col(Alias::new("name")).eq(self.name))
                .returning_col(Alias::new("value"))
                .to_owned();
            let row = db
                .write
                .query_one_raw(db.backend().build(&stmt))
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(format!("counter {}", self.name)))?;
            let end: i64 = row.try_get("", "value")?;
            *range = (end - self.size + 1, end + 1);
        }
        let n = range.0;
        range.0 += 1;
        Ok(n)
    }
}
