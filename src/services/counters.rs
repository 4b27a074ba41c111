//! Named counters (order numbers, later invoice numbers): the next value is taken inside the
//! caller's transaction, so a rolled-back action leaves no gap and two instances never hand
//! out the same number (the row stays locked until the transaction ends).
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Query},
    ConnectionTrait, DbErr,
};

pub async fn next(conn: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    let stmt = Query::update()
        .table(Alias::new("counters"))
        .value(Alias::new("value"), Expr::col(Alias::new("value")).add(1))
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .returning_col(Alias::new("value"))
        .to_owned();
    let row = conn
        .query_one_raw(conn.get_database_backend().build(&stmt))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("counter {name}")))?;
    row.try_get("", "value")
}
