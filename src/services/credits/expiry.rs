//! Grants that expire: the expiry of what is left of a lot past its day, written once.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::super::{audit::Actor, Core};
use crate::{
    domain::{
        credit::{expiring, CreditKind, Entry},
        Currency, Money,
    },
    entities::credit_ledger,
};

use super::*;

/// The account's entries in one currency, oldest first.
pub(super) async fn entries(
    conn: &impl ConnectionTrait,
    account: Uuid,
    currency: Currency,
) -> Result<Vec<credit_ledger::Model>, CreditError> {
    Ok(credit_ledger::Entity::find()
        .filter(credit_ledger::Column::AccountId.eq(account))
        .filter(credit_ledger::Column::Currency.eq(currency))
        .order_by_asc(credit_ledger::Column::CreatedAt)
        .order_by_asc(credit_ledger::Column::Id)
        .all(conn)
        .await?)
}

pub(super) fn entry_of(e: &credit_ledger::Model) -> Entry {
    Entry {
        id: e.id,
        kind: e.kind,
        amount: e.amount_minor,
        expires_on: e.expires_on,
        lot: e.lot_id,
    }
}

/// Writes the expiry of the account's lots past their last day (in `currency`), inside the
/// caller's transaction (which holds the account's lock); returns the balance after.
pub(super) async fn settle_expiries(
    txn: &DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    account: Uuid,
    currency: Currency,
) -> Result<(Money, usize), CreditError> {
    let rows = entries(txn, account, currency).await?;
    let list: Vec<Entry> = rows.iter().map(entry_of).collect();
    let due = expiring(&list, now.date_naive());
    let expired_lots: Vec<Uuid> = list
        .iter()
        .filter(|e| e.kind == CreditKind::Expiry)
        .filter_map(|e| e.lot)
        .collect();
    // Lots past their day with nothing left get a zero entry too, so the job never looks at
    // them again.
    let spent_out = list.iter().filter(|e| {
        e.amount > 0
            && e.expires_on.is_some_and(|d| d < now.date_naive())
            && !expired_lots.contains(&e.id)
            && !due.iter().any(|(id, _)| *id == e.id)
    });
    let system = Actor::system("system");
    let mut new_rows = Vec::new();
    for (lot, left) in due.iter().copied().chain(spent_out.map(|e| (e.id, 0))) {
        let lot_row = rows.iter().find(|r| r.id == lot);
        new_rows.push(row(
            now,
            NewEntry {
                account,
                kind: CreditKind::Expiry,
                amount: Money::new(-left, currency),
                note: match lot_row {
                    Some(r) => format!(
                        "{} of {} expired after {}{}",
                        r.kind.label(),
                        Money::new(r.amount_minor, currency),
                        r.expires_on
                            .map_or(String::new(), |d| d.format("%-d %b %Y").to_string()),
                        if left == 0 { ": nothing was left" } else { "" }
                    ),
                    None => "Credit expired".into(),
                },
                actor: &system,
                partner: lot_row.and_then(|r| r.partner_id),
                invoice: None,
                expires_on: None,
                lot: Some(lot),
            },
        ));
    }
    let written = new_rows.len();
    let expired: i64 = due.iter().map(|(_, left)| left).sum();
    if !new_rows.is_empty() {
        credit_ledger::Entity::insert_many(new_rows)
            .exec_without_returning(txn)
            .await?;
    }
    let sum: i64 = list.iter().map(|e| e.amount).sum::<i64>() - expired;
    Ok((Money::new(sum, currency), written))
}

/// The job: writes the expiry of credit past its last day, once per lot, for every account.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn expire_due(core: &Core) -> Result<usize, CreditError> {
    let today = core.now().date_naive();
    let mut written = 0;
    loop {
        // Accounts (and currencies) holding a lot past its day without its expiry entry.
        let pending: Vec<(Uuid, Currency)> = credit_ledger::Entity::find()
            .select_only()
            .column(credit_ledger::Column::AccountId)
            .column(credit_ledger::Column::Currency)
            .filter(credit_ledger::Column::ExpiresOn.lt(today))
            .filter(credit_ledger::Column::AmountMinor.gt(0))
            .filter(
                credit_ledger::Column::Id.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(credit_ledger::Column::LotId)
                        .from(credit_ledger::Entity)
                        .and_where(credit_ledger::Column::Kind.eq(CreditKind::Expiry))
                        .and_where(credit_ledger::Column::LotId.is_not_null())
                        .to_owned(),
                ),
            )
            .distinct()
            .limit(100)
            .into_tuple()
            .all(&core.db.read)
            .await?;
        if pending.is_empty() {
            return Ok(written);
        }
        let mut progressed = 0;
        for (account, currency) in pending {
            let txn = core.db.begin().await?;
            lock_account(&txn, account).await?;
            let (_, n) = settle_expiries(&txn, core.now(), account, currency).await?;
            core.commit(txn).await?;
            progressed += n;
        }
        if progressed == 0 {
            return Ok(written);
        }
        written += progressed;
    }
}
