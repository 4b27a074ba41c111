//! Promotional credit a partner grants, and staff's entries on an account's ledger.
use chrono::NaiveDate;
use sea_orm::{
    sea_query::LockType, ActiveValue::Set, DatabaseTransaction, EntityTrait, QuerySelect,
};
use uuid::Uuid;

use super::super::{
    audit::{self, About, Actor},
    Core,
};
use crate::{
    domain::{
        credit::CreditKind,
        grant_limits::{decide, Decision, GrantRequestStatus},
        Money, PartnerId, RegistrationId, Role, Status,
    },
    entities::{credit_grant_requests, credit_ledger, partners, registrations},
};

use super::*;

/// What became of a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    /// On the customer's ledger.
    Applied,
    /// Above the partner's monthly ceiling: held for the provider's approval.
    Pending { ceiling: Money },
}

/// Promotional credit the partner grants its active customer (and funds), with the reason
/// and an optional last day of use. The grant is decided inside its transaction, with the
/// account's and the partner's rows locked, on the partner's limits and this month's totals:
/// applied, held for the provider's approval (above the partner's ceiling), or refused
/// (above a member's limit; the attempt is audited).
#[tracing::instrument(skip(core, actor, note))]
#[allow(clippy::too_many_arguments)]
pub async fn grant(
    core: &Core,
    actor: &Actor,
    role: Role,
    partner: PartnerId,
    reg: RegistrationId,
    amount: Money,
    note: &str,
    expires_on: Option<NaiveDate>,
) -> Result<Granted, CreditError> {
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
    // Grants of the partner's other customers queue here too: two grants cannot both pass
    // a monthly limit that only one fits in.
    lock_partner(&txn, partner.uuid()).await?;
    let limits = limits::load(&txn, partner.uuid(), amount.currency).await?;
    let month =
        limits::month_totals(&txn, now, partner.uuid(), actor.user_id, amount.currency).await?;
    let about = About::registration(partner.uuid(), r.account_id, r.id);
    match decide(role, &limits, month, amount) {
        Decision::Refused(why) => {
            audit::record(
                &txn,
                now,
                actor,
                "credit.grant_refused",
                about,
                &format!("{amount} of promotional credit: {why}"),
            )
            .await?;
            core.commit(txn).await?;
            Err(CreditError::OverLimit(why))
        }
        Decision::NeedsApproval { ceiling, total } => {
            // A request is someone's to be told about; the system (the demo seed) asks nobody.
            let Some(user) = actor.user_id else {
                return Err(CreditError::field(
                    "amount",
                    format!("Above the monthly ceiling of {ceiling}."),
                ));
            };
            let id = Uuid::now_v7();
            credit_grant_requests::Entity::insert(credit_grant_requests::ActiveModel {
                id: Set(id),
                partner_id: Set(partner.uuid()),
                registration_id: Set(r.id),
                account_id: Set(r.account_id),
                amount_minor: Set(amount.minor),
                currency: Set(amount.currency),
                note: Set(note.clone()),
                expires_on: Set(expires_on),
                requested_by: Set(user),
                requested_at: Set(now),
                status: Set(GrantRequestStatus::Pending),
                decided_by: Set(None),
                decided_at: Set(None),
                decision_note: Set(None),
            })
            .exec_without_returning(&txn)
            .await?;
            audit::record(
                &txn,
                now,
                actor,
                "credit.grant_requested",
                about,
                &format!(
                    "{amount} of promotional credit would take this month to {total}, above \
                     the ceiling of {ceiling}: waiting for the provider's approval. {note}"
                ),
            )
            .await?;
            core.commit(txn).await?;
            Ok(Granted::Pending { ceiling })
        }
        Decision::Apply => {
            apply(
                &txn,
                now,
                actor,
                &r,
                Grant {
                    amount,
                    note: &note,
                    expires_on,
                },
            )
            .await?;
            core.commit(txn).await?;
            Ok(Granted::Applied)
        }
    }
}

/// Takes the partner's row lock until the transaction ends (after the account's: always in
/// that order), and says whether the partner is active.
pub(crate) async fn lock_partner(
    txn: &DatabaseTransaction,
    partner: Uuid,
) -> Result<partners::Model, CreditError> {
    partners::Entity::find_by_id(partner)
        .lock(LockType::Update)
        .one(txn)
        .await?
        .ok_or(CreditError::NotFound)
}

/// A grant as written to the ledger.
pub(crate) struct Grant<'a> {
    pub amount: Money,
    pub note: &'a str,
    pub expires_on: Option<NaiveDate>,
}

/// Writes a decided grant on the ledger of the registration's account, charges it to the
/// partner's commission statement and audits it: the one path of a direct grant and of a
/// request the provider approved. The caller holds the account's and the partner's locks.
pub(crate) async fn apply(
    txn: &DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
    r: &registrations::Model,
    g: Grant<'_>,
) -> Result<(), CreditError> {
    let Grant {
        amount,
        note,
        expires_on,
    } = g;
    let entry = row(
        now,
        NewEntry {
            account: r.account_id,
            kind: CreditKind::Grant,
            amount,
            note: note.to_string(),
            actor,
            partner: Some(r.partner_id),
            invoice: None,
            expires_on,
            lot: None,
        },
    );
    let entry_id = entry.id.clone().unwrap();
    credit_ledger::Entity::insert(entry)
        .exec_without_returning(txn)
        .await?;
    // The partner funds it: charged to its commission statement.
    crate::services::commission::on_grant(txn, r.partner_id, r.account_id, entry_id, amount, now)
        .await?;
    audit::record(
        txn,
        now,
        actor,
        "credit.granted",
        About::registration(r.partner_id, r.account_id, r.id),
        &format!(
            "{amount} of promotional credit{}: {note}",
            expires_on.map_or(String::new(), |d| format!(", usable until {d}"))
        ),
    )
    .await?;
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
