//! Promotional credit a partner grants, and staff's entries on an account's ledger.
use chrono::NaiveDate;
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::super::{
    audit::{self, About, Actor},
    Core,
};
use crate::{
    domain::{credit::CreditKind, Money, PartnerId, RegistrationId, Status},
    entities::credit_ledger,
};

use super::*;

/// Promotional credit the partner grants its active customer (and funds), with the reason
/// and an optional last day of use.
#[tracing::instrument(skip(core, actor, note))]
pub async fn grant(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    reg: RegistrationId,
    amount: Money,
    note: &str,
    expires_on: Option<NaiveDate>,
) -> Result<(), CreditError> {
    within_limit(amount)?;
    let note = reason(note)?;
    let today = core.now().date_naive();
    if let Some(d) = expires_on {
        if d < today {
            return Err(CreditError::field(
                "expires_on",
                "Choose today or a later day.",
            ));
        }
        if d > today + chrono::Duration::days(5 * 366) {
            return Err(CreditError::field(
                "expires_on",
                "Choose a day within five years.",
            ));
        }
    }
    let now = core.now();
    let txn = core.db.begin().await?;
    let r = own_registration(&txn, partner, reg).await?;
    if r.status != Status::Active {
        return Err(CreditError::NotActive);
    }
    lock_account(&txn, r.account_id).await?;
    let entry = row(
        now,
        NewEntry {
            account: r.account_id,
            kind: CreditKind::Grant,
            amount,
            note: note.clone(),
            actor,
            partner: Some(partner.uuid()),
            invoice: None,
            expires_on,
            lot: None,
        },
    );
    let entry_id = entry.id.clone().unwrap();
    credit_ledger::Entity::insert(entry)
        .exec_without_returning(&txn)
        .await?;
    // The partner funds it: charged to its commission statement.
    crate::services::commission::on_grant(
        &txn,
        partner.uuid(),
        r.account_id,
        entry_id,
        amount,
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        actor,
        "credit.granted",
        About::registration(partner.uuid(), r.account_id, r.id),
        &format!(
            "{amount} of promotional credit{}: {note}",
            expires_on.map_or(String::new(), |d| format!(", usable until {d}"))
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Staff's entry on an account's ledger (any kind); refused when it would take the balance
/// below zero.
#[tracing::instrument(skip(core, actor, note))]
pub async fn staff_entry(
    core: &Core,
    actor: &Actor,
    account: Uuid,
    kind: CreditKind,
    amount: Money,
    note: &str,
) -> Result<(), CreditError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    lock_account(&txn, account).await?;
    let (balance, _) = settle_expiries(&txn, now, account, amount.currency).await?;
    if amount.minor < 0 && balance.minor + amount.minor < 0 {
        core.commit(txn).await?;
        return Err(CreditError::Insufficient { balance });
    }
    credit_ledger::Entity::insert(row(
        now,
        NewEntry {
            account,
            kind,
            amount,
            note: note.trim().to_string(),
            actor,
            partner: None,
            invoice: None,
            expires_on: None,
            lot: None,
        },
    ))
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        actor,
        "account.credit",
        About::account(account),
        &format!("{} {amount}", kind.as_str()),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}
