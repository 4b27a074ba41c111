//! Customer credits: an append-only ledger per account and currency (grant, top-up,
//! spend, expiry, adjustment), each entry with who and why. The balance is the ledger's sum
//! and never goes below zero: every entry that takes credit away is written after the
//! account's row is locked (PostgreSQL; SQLite has one writer) and the balance checked in the
//! same transaction. Partners grant promotional credit (funded by them) and sell top-ups (an
//! invoice whose payment adds the credit); an invoice is paid wholly or partly from credit;
//! grants may expire, and the job writes the expiry of what is left of them, once.
use chrono::NaiveDate;
use sea_orm::{
    sea_query::LockType, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{audit::Actor, Core, Fault};
use crate::{
    domain::{
        credit::{expiring, CreditKind, Entry},
        grant_limits::{GrantRequestStatus, LimitRefusal},
        settlement::Refusal,
        Currency, Money, PartnerId, RegistrationId,
    },
    entities::{accounts, credit_ledger, invoices as invoice_rows, registrations},
};

mod expiry;
mod grants;
mod ledger;
mod limits;
mod requests;
mod topup;

pub use expiry::*;
pub use grants::*;
pub use ledger::*;
pub use limits::*;
pub use requests::*;
pub(crate) use topup::*;

#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    #[error("not found")]
    NotFound,
    /// A field's value is refused: the message says why.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Credits are managed only while the customer is the partner's (an active registration).
    #[error("This customer is no longer yours: its credits can no longer change.")]
    NotActive,
    #[error("The credit balance is {balance}: that is not enough.")]
    Insufficient { balance: Money },
    /// A member's grant above a limit the partner's admins set.
    #[error("{0}")]
    OverLimit(LimitRefusal),
    /// A grant request the provider already approved or refused.
    #[error("This request was already {}.", .0.as_str())]
    AlreadyDecided(GrantRequestStatus),
    /// A held grant can no longer be applied as asked (the customer left the partner, its
    /// last day of use has passed): the message says why; it can still be refused.
    #[error("{0}")]
    Stale(&'static str),
    /// The partner is suspended: its requests wait until it is active again, or are refused.
    #[error("The partner is suspended: its grants cannot be applied.")]
    PartnerSuspended,
    /// The settlement refused it (the invoice is no longer open, …).
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(CreditError);

impl CreditError {
    fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The form field an error belongs next to.
    pub fn field_name(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Insufficient { .. } | Self::OverLimit(_) => Some("amount"),
            _ => None,
        }
    }
}

/// The most one entry may move: a million in the currency's major unit.
pub(crate) fn within_limit(amount: Money) -> Result<(), CreditError> {
    let max = 1_000_000 * 10_i64.pow(amount.currency.decimals());
    if amount.minor <= 0 {
        return Err(CreditError::field("amount", "Enter an amount above zero."));
    }
    if amount.minor > max {
        return Err(CreditError::field(
            "amount",
            format!("At most {} at a time.", Money::new(max, amount.currency)),
        ));
    }
    Ok(())
}

/// Parses an amount typed in a form, in `currency`.
pub fn parse_amount(raw: &str, currency: &str) -> Result<Money, CreditError> {
    let currency = Currency::parse(currency).map_err(|e| CreditError::field("currency", e.0))?;
    let amount = Money::parse(raw, currency).map_err(|e| CreditError::field("amount", e.0))?;
    within_limit(amount)?;
    Ok(amount)
}

/// Takes the account's row lock until the transaction ends: credit changes of one account
/// queue behind each other (PostgreSQL; on SQLite the write transaction holds the database).
pub(crate) async fn lock_account(
    txn: &DatabaseTransaction,
    account: Uuid,
) -> Result<accounts::Model, CreditError> {
    accounts::Entity::find_by_id(account)
        .lock(LockType::Update)
        .one(txn)
        .await?
        .ok_or(CreditError::NotFound)
}

/// A new ledger row.
pub(crate) struct NewEntry<'a> {
    pub account: Uuid,
    pub kind: CreditKind,
    pub amount: Money,
    pub note: String,
    pub actor: &'a Actor,
    pub partner: Option<Uuid>,
    pub invoice: Option<Uuid>,
    pub expires_on: Option<NaiveDate>,
    pub lot: Option<Uuid>,
}

pub(crate) fn row(
    now: chrono::DateTime<chrono::Utc>,
    e: NewEntry<'_>,
) -> credit_ledger::ActiveModel {
    credit_ledger::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(e.account),
        kind: Set(e.kind),
        amount_minor: Set(e.amount.minor),
        currency: Set(e.amount.currency),
        note: Set(e.note),
        created_by: Set(e.actor.user_id),
        created_at: Set(now),
        partner_id: Set(e.partner),
        invoice_id: Set(e.invoice),
        expires_on: Set(e.expires_on),
        lot_id: Set(e.lot),
        actor_label: Set(e.actor.label.clone()),
    }
}

/// The partner's registration (any status), or not found.
pub(crate) async fn own_registration(
    conn: &impl ConnectionTrait,
    partner: PartnerId,
    reg: RegistrationId,
) -> Result<registrations::Model, CreditError> {
    registrations::Entity::find_by_id(reg.uuid())
        .filter(registrations::Column::PartnerId.eq(partner.uuid()))
        .one(conn)
        .await?
        .ok_or(CreditError::NotFound)
}

/// Whose eyes a ledger is shown to.
#[derive(Clone, Copy)]
enum Viewer {
    Staff,
    Partner(Uuid),
    /// The account's own users, with their current partner if any: they see neither staff's
    /// nor another partner's notes.
    Customer(Option<Uuid>),
}

/// The account's balance in `currency` (expired lots taken out, as the next change would).
pub async fn balance(core: &Core, account: Uuid, currency: Currency) -> Result<Money, CreditError> {
    let list: Vec<Entry> = entries(&core.db.read, account, currency)
        .await?
        .iter()
        .map(entry_of)
        .collect();
    let expired: i64 = expiring(&list, core.now().date_naive())
        .iter()
        .map(|(_, left)| left)
        .sum();
    Ok(Money::new(
        list.iter().map(|e| e.amount).sum::<i64>() - expired,
        currency,
    ))
}

/// Why: required, at most 500 characters, no control characters.
fn reason(note: &str) -> Result<String, CreditError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(CreditError::field(
            "note",
            "Say why, for the customer's ledger.",
        ));
    }
    if note.chars().count() > 500 || note.chars().any(char::is_control) {
        return Err(CreditError::field(
            "note",
            "Keep it to 500 characters, without line breaks or control characters.",
        ));
    }
    Ok(note.to_string())
}

/// The entry that gives back the credit applied to an invoice closed without payment.
pub(crate) fn credit_returned(
    now: chrono::DateTime<chrono::Utc>,
    inv: &invoice_rows::Model,
    actor: &Actor,
) -> credit_ledger::ActiveModel {
    let currency = inv.currency;
    row(
        now,
        NewEntry {
            account: inv.account_id,
            kind: CreditKind::Adjustment,
            amount: Money::new(inv.credit_minor, currency),
            note: format!(
                "Credit paid towards {} given back: it was closed",
                inv.number
            ),
            actor,
            partner: Some(inv.partner_id),
            invoice: Some(inv.id),
            expires_on: None,
            lot: None,
        },
    )
}

/// The account's balance in `currency` inside the caller's transaction, after locking the
/// account's row and writing the expiry of lots past their day (the settlement executor's
/// view of what credit can pay).
pub(crate) async fn balance_locked(
    txn: &DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    account: Uuid,
    currency: Currency,
) -> Result<Money, CreditError> {
    lock_account(txn, account).await?;
    Ok(settle_expiries(txn, now, account, currency).await?.0)
}
