//! Each registration's paid revenue over the last 12 months ("Revenue (12 months)" on My
//! Customers, the order of the revenue page's customers), stored on the registration so a list
//! sorts by it through an index.
//!
//! The figure of a registration is the sum of `paid_minor` of its account's monthly rows with
//! its partner, in the partner's main currency (the one it was paid most in over the window),
//! over the 12 months ending this month. The partner row names the currency and the window's
//! first month the figures are for; when either is not today's (a new month, another currency
//! now leads, or never computed) they are recomputed from the monthly rows, by the month-end
//! job or by the first page that needs them.
//!
//! Between recomputations a payment (or a credit note) adds its net to the figure in its own
//! transaction, after adding it to the monthly rows; it holds the partner row shared while it
//! does, and a recomputation holds it exclusively, so a payment is counted exactly once: either
//! it commits first and the recomputation reads it from the monthly rows, or it waits and then
//! adds to the recomputed figure.
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr, SubQueryStatement},
    ColumnTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, Statement,
};
use uuid::Uuid;

use super::{
    commission::{last_periods, period_of, TOTAL},
    Core,
};
use crate::{
    domain::{Currency, PartnerId},
    entities::{partners, registrations as regs, revenue_months as months},
    services::views::Partner,
};

/// The first month of the 12-month window ending this month ("2026-01" in December 2026).
pub fn window_start(core: &Core) -> String {
    last_periods(&period_of(core.now()), 12).swap_remove(0)
}

fn sub(select: sea_orm::sea_query::SelectStatement) -> SimpleExpr {
    SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(select)))
}

/// The lock a transaction that changes paid revenue takes first, before the monthly rows: the
/// partner row, shared (payments do not wait for each other; a recomputation waits for them,
/// and they for it).
pub fn lock(backend: DbBackend, partner: Uuid) -> Statement {
    backend.build(
        Query::select()
            .column(partners::Column::Id)
            .from(partners::Entity)
            .and_where(Expr::col(partners::Column::Id).eq(partner))
            .lock_shared(),
    )
}

/// Adds `delta` of paid revenue in `currency` to the figures of `account`'s registrations with
/// `partner`, when the figures are current and in that currency (run after `lock`, in the
/// transaction that adds it to the monthly rows). A payment in another currency changes no
/// figure; if that currency now leads, the month-end job's next pass recomputes them.
pub fn on_paid(
    backend: DbBackend,
    partner: Uuid,
    account: Uuid,
    currency: Currency,
    delta: i64,
) -> Option<Statement> {
    if delta == 0 {
        return None;
    }
    let current = Query::select()
        .expr(Expr::val(1))
        .from(partners::Entity)
        .and_where(Expr::col((partners::Entity, partners::Column::Id)).eq(partner))
        .and_where(
            Expr::col((partners::Entity, partners::Column::Paid12mCurrency)).eq(currency.code()),
        )
        .and_where(Expr::col((partners::Entity, partners::Column::Paid12mFrom)).is_not_null())
        .to_owned();
    Some(
        backend.build(
            Query::update()
                .table(regs::Entity)
                .value(
                    regs::Column::Paid12mMinor,
                    Expr::col(regs::Column::Paid12mMinor).add(delta),
                )
                .and_where(Expr::col(regs::Column::PartnerId).eq(partner))
                .and_where(Expr::col(regs::Column::AccountId).eq(account))
                .and_where(Expr::exists(current)),
        ),
    )
}

/// A new registration of an account the partner had before takes the figure its earlier
/// registrations carry (the figure belongs to the partner and the account).
pub fn on_registered(
    backend: DbBackend,
    registration: Uuid,
    partner: Uuid,
    account: Uuid,
) -> Statement {
    let earlier = Alias::new("earlier");
    let figure = Query::select()
        .expr(Func::coalesce([
            Expr::col((earlier.clone(), regs::Column::Paid12mMinor)).max(),
            Expr::val(0i64),
        ]))
        .from_as(regs::Entity, earlier.clone())
        .and_where(Expr::col((earlier.clone(), regs::Column::PartnerId)).eq(partner))
        .and_where(Expr::col((earlier.clone(), regs::Column::AccountId)).eq(account))
        .and_where(Expr::col((earlier, regs::Column::Id)).ne(registration))
        .to_owned();
    backend.build(
        Query::update()
            .table(regs::Entity)
            .value(regs::Column::Paid12mMinor, sub(figure))
            .and_where(Expr::col(regs::Column::Id).eq(registration)),
    )
}

/// A partner's main currency: the one paid most in (USD when none; the larger code on a tie),
/// from (currency, paid) amounts.
pub fn leading(sums: impl IntoIterator<Item = (Currency, i64)>) -> Currency {
    let mut by: std::collections::BTreeMap<Currency, i64> = Default::default();
    for (c, paid) in sums {
        *by.entry(c).or_default() += paid;
    }
    by.into_iter()
        .max_by_key(|(c, paid)| (*paid, c.code()))
        .map_or(Currency::Usd, |(c, _)| c)
}

/// The partner's main currency over the window starting `from`, read through `conn`.
async fn main_currency(
    conn: &impl sea_orm::ConnectionTrait,
    partner: Uuid,
    from: &str,
) -> Result<Currency, DbErr> {
    let rows: Vec<(Currency, i64)> = months::Entity::find()
        .select_only()
        .column(months::Column::Currency)
        .column(months::Column::PaidMinor)
        .filter(months::Column::PartnerId.eq(partner))
        .filter(months::Column::AccountId.eq(TOTAL))
        .filter(months::Column::Period.gte(from))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(leading(rows))
}

/// Recomputes the partner's figures for today's window and main currency unless they are
/// today's already (another page or the job got there first), in one transaction that holds
/// the partner row. Returns their currency.
pub async fn recompute(core: &Core, partner: PartnerId) -> Result<Currency, DbErr> {
    recompute_as(core, partner, false).await
}

/// `recompute`, or with `always`, even when the figures look current (their currency may no
/// longer lead).
#[tracing::instrument(skip(core), level = "debug")]
async fn recompute_as(core: &Core, partner: PartnerId, always: bool) -> Result<Currency, DbErr> {
    let from = window_start(core);
    let txn = core.db.begin().await?;
    // First the partner row, exclusively: payments adding to the figures wait from here on.
    let mut mark = partners::Entity::update_many()
        .col_expr(partners::Column::Paid12mFrom, Expr::value(None::<String>))
        .filter(partners::Column::Id.eq(partner.uuid()));
    if !always {
        mark = mark.filter(
            sea_orm::Condition::any()
                .add(partners::Column::Paid12mFrom.is_null())
                .add(partners::Column::Paid12mFrom.ne(from.as_str())),
        );
    }
    let stale = mark.exec(&txn).await?.rows_affected > 0;
    if !stale {
        let current: Option<Option<Currency>> = partners::Entity::find_by_id(partner.uuid())
            .select_only()
            .column(partners::Column::Paid12mCurrency)
            .into_tuple()
            .one(&txn)
            .await?;
        txn.commit().await?;
        return Ok(current.flatten().unwrap_or(Currency::Usd));
    }
    let currency = main_currency(&txn, partner.uuid(), &from).await?;
    let figure = Query::select()
        .expr(Func::coalesce([
            Expr::col((months::Entity, months::Column::PaidMinor)).sum(),
            Expr::val(0i64),
        ]))
        .from(months::Entity)
        .and_where(Expr::col((months::Entity, months::Column::PartnerId)).eq(partner.uuid()))
        .and_where(
            Expr::col((months::Entity, months::Column::AccountId))
                .equals((regs::Entity, regs::Column::AccountId)),
        )
        .and_where(Expr::col((months::Entity, months::Column::Currency)).eq(currency.code()))
        .and_where(Expr::col((months::Entity, months::Column::Period)).gte(from.as_str()))
        .to_owned();
    regs::Entity::update_many()
        .col_expr(regs::Column::Paid12mMinor, sub(figure))
        .filter(regs::Column::PartnerId.eq(partner.uuid()))
        .exec(&txn)
        .await?;
    partners::Entity::update_many()
        .col_expr(
            partners::Column::Paid12mCurrency,
            Expr::value(currency.code()),
        )
        .col_expr(partners::Column::Paid12mFrom, Expr::value(from))
        .filter(partners::Column::Id.eq(partner.uuid()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(currency)
}

/// The currency of the partner's figures, recomputing them first unless they are today's
/// (`partner` as its session read it: no read when they are).
pub async fn fresh(core: &Core, partner: &Partner) -> Result<Currency, DbErr> {
    match &partner.paid_12m {
        Some((currency, from)) if *from == window_start(core) => Ok(*currency),
        _ => recompute(core, partner.id).await,
    }
}

/// The jobs' part: recomputes every partner whose figures are not current (a new month, never
/// computed) and, with `currencies`, whose main currency changed (that reads every partner's
/// totals of the window: the jobs ask for it once an hour, `close-months` every time). Returns
/// how many.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn recompute_stale(core: &Core, currencies: bool) -> Result<usize, DbErr> {
    let from = window_start(core);
    let read = &core.db.read;
    let stored: Vec<(Uuid, Option<Currency>, Option<String>)> = partners::Entity::find()
        .select_only()
        .columns([
            partners::Column::Id,
            partners::Column::Paid12mCurrency,
            partners::Column::Paid12mFrom,
        ])
        .into_tuple()
        .all(read)
        .await?;
    if !currencies {
        let mut n = 0;
        for (id, _, first) in stored {
            if first.as_deref() != Some(from.as_str()) {
                recompute(core, id.into()).await?;
                n += 1;
            }
        }
        return Ok(n);
    }
    // Each partner's paid totals per currency over the window: its total rows, summed.
    let sums: Vec<(Uuid, Currency, i64)> = months::Entity::find()
        .select_only()
        .column(months::Column::PartnerId)
        .column(months::Column::Currency)
        .column_as(
            Expr::col(months::Column::PaidMinor).sum().cast_as("BIGINT"),
            "paid",
        )
        .filter(months::Column::AccountId.eq(TOTAL))
        .filter(months::Column::Period.gte(from.as_str()))
        .group_by(months::Column::PartnerId)
        .group_by(months::Column::Currency)
        .into_tuple()
        .all(read)
        .await?;
    let mut paid: std::collections::HashMap<Uuid, Vec<(Currency, i64)>> = Default::default();
    for (p, c, sum) in sums {
        paid.entry(p).or_default().push((c, sum));
    }
    let mut n = 0;
    for (id, currency, first) in stored {
        let main = leading(paid.remove(&id).unwrap_or_default());
        if currency != Some(main) || first.as_deref() != Some(from.as_str()) {
            recompute_as(core, id.into(), true).await?;
            n += 1;
        }
    }
    Ok(n)
}
