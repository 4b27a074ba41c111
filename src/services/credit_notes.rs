//! Credit notes: a paid invoice never changes; staff correct it with a credit note,
//! a document of its own (`CN-2026-000004`, a series without gaps per year) for part or all
//! of what was paid, tax in the invoice's proportion. The amount goes to the customer's credit
//! balance in the same transaction, where it pays later invoices. The credit notes of one
//! invoice never add up to more than it.
use chrono::Datelike;
use sea_orm::{
    sea_query::LockType, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    credits,
    invoices::{self, InvoiceError},
    Core,
};
use crate::{
    domain::{
        credit::CreditKind,
        invoice::{
            credit_note_counter, credit_note_number, credit_tax, InvoiceKind, InvoiceStatus,
        },
        settlement::{settle, Decision, InvoiceState, Refusal, Request},
        Money,
    },
    entities::{credit_ledger, invoice_lines, invoices as rows},
    security::tokens::{hash_token, random_token},
};

#[derive(Debug, thiserror::Error)]
pub enum CreditNoteError {
    #[error("Only a paid invoice is corrected with a credit note; an open one is voided.")]
    NotPaid,
    #[error("A top-up is corrected by an adjustment of the credit balance, not a credit note.")]
    TopUp,
    #[error(
        "Enter an amount above zero, at most {0}: what this invoice has not been credited yet."
    )]
    Amount(Money),
    #[error("Give the reason, in at most 500 characters.")]
    Reason,
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
}

impl From<sea_orm::DbErr> for CreditNoteError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Invoice(e.into())
    }
}

/// What is left to credit of a paid invoice (its total less its credit notes), for the form.
pub async fn creditable(core: &Core, invoice: Uuid) -> Result<Option<Money>, CreditNoteError> {
    let inv = rows::Entity::find_by_id(invoice)
        .one(&core.db.read)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    let state = state_with_credited(&core.db.read, &inv).await?;
    let left = state.creditable();
    Ok((left.minor > 0).then_some(left))
}

/// The invoice's state for the settlement rule, with what its credit notes gave back.
async fn state_with_credited(
    conn: &impl ConnectionTrait,
    inv: &rows::Model,
) -> Result<InvoiceState, CreditNoteError> {
    let credited = credited(conn, inv.id).await?;
    Ok(InvoiceState {
        credited: Money::new(credited, inv.currency),
        ..super::invoices::settlement::state_of(inv)
    })
}

/// The credit notes of an invoice: (id, number, amount credited).
pub async fn of_invoice(
    core: &Core,
    invoice: Uuid,
) -> Result<Vec<(Uuid, String, Money)>, CreditNoteError> {
    Ok(rows::Entity::find()
        .filter(rows::Column::CreditOf.eq(invoice))
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|n| (n.id, n.number, Money::new(-n.total_minor, n.currency)))
        .collect())
}

async fn credited(
    conn: &impl sea_orm::ConnectionTrait,
    invoice: Uuid,
) -> Result<i64, CreditNoteError> {
    Ok(rows::Entity::find()
        .filter(rows::Column::CreditOf.eq(invoice))
        .all(conn)
        .await?
        .iter()
        .map(|n| -n.total_minor)
        .sum())
}

/// Issues a credit note of `gross` (tax included) against a paid invoice, with the reason;
/// the amount goes to the customer's credit balance. Returns the credit note's id.
#[tracing::instrument(skip(core, actor, reason))]
pub async fn issue(
    core: &Core,
    actor: &Actor,
    invoice: Uuid,
    gross: Money,
    reason: &str,
) -> Result<Uuid, CreditNoteError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(CreditNoteError::Reason);
    }
    let now = core.now();
    let txn = core.db.begin().await?;
    // The invoice's row lock: two credit notes at once cannot both take what is left.
    let inv = rows::Entity::find_by_id(invoice)
        .lock(LockType::Update)
        .one(&txn)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    // The settlement rule decides, on the invoice as locked.
    let state = state_with_credited(&txn, &inv).await?;
    let left = state.creditable();
    match settle(&state, Request::CreditNote { amount: gross }) {
        Decision::Credited { .. } => {}
        Decision::Refused(Refusal::TopUpCreditNote) => return Err(CreditNoteError::TopUp),
        Decision::Refused(Refusal::MoreThanCreditable { left }) => {
            return Err(CreditNoteError::Amount(left))
        }
        _ => return Err(CreditNoteError::NotPaid),
    }
    let currency = inv.currency;
    let tax = credit_tax(
        gross,
        Money::new(inv.total_minor, currency),
        Money::new(inv.tax_minor, currency),
    )
    .map_err(|_| CreditNoteError::Amount(left))?;
    let net = gross.minor - tax.minor;
    let year = now.year();
    let seq = invoices::next_in_series(&txn, &credit_note_counter(year), 1).await?;
    let number = credit_note_number(year, seq);
    let id = Uuid::now_v7();
    rows::Entity::insert(rows::ActiveModel {
        id: Set(id),
        number: Set(number.clone()),
        year: Set(year),
        seq: Set(seq),
        partner_id: Set(inv.partner_id),
        registration_id: Set(inv.registration_id),
        account_id: Set(inv.account_id),
        order_id: Set(None),
        kind: Set(InvoiceKind::CreditNote),
        currency: Set(inv.currency),
        subtotal_minor: Set(-net),
        tax_minor: Set(-tax.minor),
        total_minor: Set(-gross.minor),
        // Settled at once: the amount is on the customer's balance.
        status: Set(InvoiceStatus::Paid),
        issued_at: Set(now),
        due_on: Set(now.date_naive()),
        paid_at: Set(Some(now)),
        closed_at: Set(None),
        close_reason: Set(Some(reason.to_string())),
        // A credit note has no payment link: an unguessable hash nothing opens.
        pay_token_hash: Set(hash_token(&random_token())),
        link_version: Set(0),
        seller: Set(inv.seller.clone()),
        customer_name: Set(inv.customer_name.clone()),
        customer_country: Set(inv.customer_country.clone()),
        credit_minor: Set(0),
        credit_of: Set(Some(inv.id)),
    })
    .exec_without_returning(&txn)
    .await?;
    let line = Uuid::now_v7();
    invoice_lines::Entity::insert(invoice_lines::ActiveModel {
        id: Set(line),
        invoice_id: Set(id),
        position: Set(1),
        description: Set(format!("Credit for {}: {reason}", inv.number)),
        product_id: Set(None),
        quantity: Set(1),
        unit_minor: Set(-net),
        amount_minor: Set(-net),
        tax_bp: Set(0),
        tax_minor: Set(-tax.minor),
        period_start: Set(None),
        period_end: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    // The commission the invoice earned, reversed on what is credited.
    let cn = rows::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    super::commission::on_credit_note(&txn, &inv, &cn, line, now).await?;
    credit_ledger::Entity::insert(credits::row(
        now,
        credits::NewEntry {
            account: inv.account_id,
            kind: CreditKind::Adjustment,
            amount: gross,
            note: format!("Credit note {number} for {}", inv.number),
            actor,
            partner: Some(inv.partner_id),
            invoice: Some(id),
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
        "invoice.credited",
        About::registration(inv.partner_id, inv.account_id, id),
        &format!(
            "{number}: {gross} credited against {} (tax {tax}), to the customer's credit balance: {reason}",
            inv.number
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(id)
}
