//! The one executor of every movement of money on an invoice: a card's answer (the pay page,
//! the browser's return from 3-D Secure, the gateway's webhook), paying from credit, closing
//! without payment (staff's void or write-off, a cancelled order, auto-renew turned off).
//! Credit notes take their decision from the same rule (`credit_notes`).
//!
//! `domain::settlement::settle` decides on the invoice as it is; [`plan`] turns the decision
//! into its writes (the invoice's move naming the state it was decided on, the payment row,
//! ledger entries, commission and the month's figures, the audit event, the receipts), and
//! they are applied together or not at all:
//! - in the caller's transaction ([`apply_in`]), with the invoice's row locked first, so a
//!   racing request waits and is then decided on what this one left;
//! - or, for a card's approval of exactly what is due (the common case), as one guarded batch
//!   written without holding the writer while reading ([`apply`]'s fast path): the batch
//!   fails whole unless the invoice ends in the state it set, and then the request is decided
//!   again the locked way.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, Query},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, Statement,
};
use uuid::Uuid;

use super::InvoiceError;
use crate::{
    domain::{
        invoice::{InvoiceKind, InvoiceStatus},
        payment::{PaymentGateway, PaymentOutcome},
        settlement::{settle, Closing, Decision, InvoiceState, Refusal, Request},
        CreditKind, Money,
    },
    email::{messages, outbox},
    entities::{
        accounts, audit_events, credit_ledger, invoices, outbox as outbox_rows, payments, users,
    },
    services::{
        audit::{self, About, Actor},
        commission,
        credits::{self, CreditError},
        Core, Fault,
    },
};

/// A gateway's answer to one payment attempt.
#[derive(Clone, Debug)]
pub struct CardAnswer {
    pub gateway: PaymentGateway,
    /// The gateway's id for the attempt: recorded once.
    pub reference: String,
    pub amount: Money,
    pub approved: bool,
    /// Why it was declined.
    pub detail: Option<String>,
    /// Who paid (an email given on the pay page, or the gateway's).
    pub payer: String,
}

/// What is asked of an invoice.
#[derive(Clone, Debug)]
pub enum Ask {
    Card(CardAnswer),
    /// Pay this much from the customer's credit in the invoice's currency.
    Credit {
        amount: Money,
    },
    /// Close without payment, with the reason the audit log and the invoice keep.
    Close {
        how: Closing,
        reason: String,
    },
}

/// What the executor did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Decided and applied (a refusal writes nothing).
    Decided(Decision),
    /// The same gateway answer was recorded before (a replayed webhook, a reload): nothing
    /// changes; the invoice is as it is.
    Again(InvoiceStatus),
}

/// Applies `ask` to the invoice in a transaction of its own.
#[tracing::instrument(skip(core, ask, actor))]
pub async fn apply(
    core: &Core,
    invoice: Uuid,
    ask: Ask,
    actor: &Actor,
) -> Result<Settled, InvoiceError> {
    if let Ask::Card(answer) = &ask {
        if let Some(done) = card_at_once(core, invoice, answer, actor).await? {
            return Ok(done);
        }
    }
    let txn = core.db.begin().await?;
    match apply_in(&txn, core.now(), invoice, &ask, actor).await {
        Ok(done) => {
            core.commit(txn).await?;
            Ok(done)
        }
        // A card answer whose reference another instance recorded meanwhile: the answer is
        // in. Anything else refused by a unique index is an error, not "seen before".
        Err(InvoiceError::Fault(Fault::Db(e)))
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            drop(txn);
            match &ask {
                Ask::Card(a) if seen(&core.db.write, a).await? => {
                    let now = invoices::Entity::find_by_id(invoice)
                        .one(&core.db.write)
                        .await?
                        .ok_or(InvoiceError::NotFound)?;
                    Ok(Settled::Again(now.status))
                }
                _ => Err(Fault::Db(e).into()),
            }
        }
        Err(e) => Err(e),
    }
}

/// Applies `ask` inside the caller's transaction: locks the invoice's row, decides on it as
/// it is now and writes the decision. A refusal writes nothing (paying from credit may still
/// write the expiry of lots past their day, which is due whatever happens).
pub async fn apply_in(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    invoice: Uuid,
    ask: &Ask,
    actor: &Actor,
) -> Result<Settled, InvoiceError> {
    let inv = invoices::Entity::find_by_id(invoice)
        .lock(sea_orm::sea_query::LockType::Update)
        .one(txn)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    let request = match ask {
        Ask::Card(a) => {
            if seen(txn, a).await? {
                return Ok(Settled::Again(inv.status));
            }
            Request::Card {
                amount: a.amount,
                approved: a.approved,
                captured: a.gateway.captures(),
            }
        }
        Ask::Credit { amount } => {
            let balance = credits::balance_locked(txn, now, inv.account_id, inv.currency)
                .await
                .map_err(|e| match e {
                    credits::CreditError::Fault(f) => InvoiceError::Fault(f),
                    _ => InvoiceError::NotFound,
                })?;
            Request::Credit {
                amount: *amount,
                balance,
            }
        }
        Ask::Close { how, .. } => Request::Close(*how),
    };
    let decision = settle(&state_of(&inv), request);
    let writes = plan(
        txn,
        txn.get_database_backend(),
        &inv,
        ask,
        decision,
        actor,
        now,
    )
    .await?;
    crate::db::execute_all(txn, writes).await?;
    Ok(Settled::Decided(decision))
}

/// The invoice's state as the decision sees it (credit notes read what was credited
/// themselves).
pub fn state_of(inv: &invoices::Model) -> InvoiceState {
    InvoiceState {
        status: inv.status,
        kind: inv.kind,
        total: Money::new(inv.total_minor, inv.currency),
        from_credit: Money::new(inv.credit_minor, inv.currency),
        credited: Money::zero(inv.currency),
    }
}

/// The common case without holding the writer while reading: a card's approval of exactly
/// what an open invoice asks, or the same answer again. Read from the read pool, decided,
/// written as one batch (a group commit on SQLite). `None` hands the answer to the locked
/// path: another decision, or the batch refused because the invoice changed meanwhile.
async fn card_at_once(
    core: &Core,
    invoice: Uuid,
    answer: &CardAnswer,
    actor: &Actor,
) -> Result<Option<Settled>, InvoiceError> {
    let read = &core.db.read;
    let inv = invoices::Entity::find_by_id(invoice)
        .one(read)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    if seen(read, answer).await? {
        return Ok(Some(Settled::Again(inv.status)));
    }
    let decision = settle(
        &state_of(&inv),
        Request::Card {
            amount: answer.amount,
            approved: answer.approved,
            captured: answer.gateway.captures(),
        },
    );
    if !matches!(decision, Decision::Paid { .. }) {
        return Ok(None);
    }
    let ask = Ask::Card(answer.clone());
    let writes = plan(
        read,
        core.db.backend(),
        &inv,
        &ask,
        decision,
        actor,
        core.now(),
    )
    .await?;
    match core.commit_all(writes).await {
        Ok(()) => Ok(Some(Settled::Decided(decision))),
        // Refused whole (the invoice moved, or the reference was recorded meanwhile): the
        // locked path decides again on what is there now.
        Err(_) => Ok(None),
    }
}

/// Whether this gateway answer was recorded before.
async fn seen(conn: &impl ConnectionTrait, a: &CardAnswer) -> Result<bool, InvoiceError> {
    Ok(payments::Entity::find()
        .filter(payments::Column::Gateway.eq(a.gateway))
        .filter(payments::Column::Reference.eq(&a.reference))
        .one(conn)
        .await?
        .is_some())
}

/// The writes of `decision` on `inv` (as read when deciding). Reads through `conn` (the
/// transaction, or the read pool for the batch). Every write that moves the invoice names
/// the status and credit it was decided on, and is followed by a guard that fails the whole
/// unless the invoice now is what this decision made it: a request that lost a race writes
/// nothing.
async fn plan(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    inv: &invoices::Model,
    ask: &Ask,
    decision: Decision,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Statement>, InvoiceError> {
    let about = About::registration(inv.partner_id, inv.account_id, inv.id);
    let mut out = Vec::new();
    let audit = |actor: &Actor, action: &str, detail: String| {
        audit_events::Entity::insert(audit::event(now, actor, action, about, &detail))
            .build(backend)
    };
    match (decision, ask) {
        (Decision::Paid { amount }, _) => {
            let (gateway, reference, payer, by_credit) = match ask {
                Ask::Card(a) => (a.gateway, a.reference.clone(), a.payer.clone(), false),
                _ => {
                    let entry = Uuid::now_v7();
                    out.push(spend(now, inv, amount, actor, entry, backend));
                    (
                        PaymentGateway::Credit,
                        format!("credit:{entry}"),
                        actor.label.clone(),
                        true,
                    )
                }
            };
            let credit = inv.credit_minor + if by_credit { amount.minor } else { 0 };
            out.push(move_invoice(
                backend,
                inv,
                InvoiceStatus::Paid,
                credit,
                Some(now),
                None,
            ));
            out.push(guard_now(backend, inv.id, InvoiceStatus::Paid, credit));
            out.push(payment_row(
                backend,
                inv,
                gateway,
                reference,
                amount,
                PaymentOutcome::Succeeded,
                payer.clone(),
                None,
                now,
            ));
            let payer_actor = match ask {
                Ask::Card(a) => Actor::system(&format!("payer {}", a.payer)),
                _ => (*actor).clone(),
            };
            out.push(audit(
                &payer_actor,
                "invoice.paid",
                if by_credit {
                    format!("{}: {amount} paid from credit (paid in full)", inv.number)
                } else {
                    format!("{} paid: {amount} by {}", inv.number, gateway.as_str())
                },
            ));
            if inv.kind == InvoiceKind::TopUp {
                out.push(
                    credit_ledger::Entity::insert(credits::topup_paid(now, inv, &payer))
                        .build(backend),
                );
            }
            out.extend(commission::on_paid(conn, backend, inv, now).await?);
            let total = Money::new(inv.total_minor, inv.currency);
            for m in receipt_messages(conn, inv, total, gateway, &payer, now).await? {
                out.push(outbox_rows::Entity::insert(outbox::pending(m)).build(backend));
            }
        }
        (Decision::PartlyPaid { amount, left }, _) => {
            let entry = Uuid::now_v7();
            out.push(spend(now, inv, amount, actor, entry, backend));
            let credit = inv.credit_minor + amount.minor;
            out.push(move_invoice(
                backend,
                inv,
                InvoiceStatus::Open,
                credit,
                None,
                None,
            ));
            out.push(guard_now(backend, inv.id, InvoiceStatus::Open, credit));
            out.push(payment_row(
                backend,
                inv,
                PaymentGateway::Credit,
                format!("credit:{entry}"),
                amount,
                PaymentOutcome::Applied,
                actor.label.clone(),
                None,
                now,
            ));
            out.push(audit(
                actor,
                "invoice.credit_applied",
                format!(
                    "{}: {amount} paid from credit, {left} left to pay",
                    inv.number
                ),
            ));
            out.extend(commission::on_credit_applied(backend, inv, amount.minor));
        }
        (d @ (Decision::Declined | Decision::Mismatch { .. }), Ask::Card(a)) => {
            // An attempt that does not pay: kept (declined, or money to refund) and audited.
            let (outcome, action, detail) = match d {
                Decision::Mismatch { due } => (
                    PaymentOutcome::Mismatch,
                    "invoice.payment_mismatch",
                    format!(
                        "{}: {} {} received for {due} due ({}); not marked paid, check and refund",
                        inv.number,
                        a.gateway.as_str(),
                        a.amount,
                        inv.status.label().to_lowercase()
                    ),
                ),
                _ => (
                    PaymentOutcome::Declined,
                    "invoice.payment_declined",
                    format!(
                        "{} by {}: {}",
                        inv.number,
                        a.gateway.as_str(),
                        a.detail.clone().unwrap_or_default()
                    ),
                ),
            };
            out.push(payment_row(
                backend,
                inv,
                a.gateway,
                a.reference.clone(),
                a.amount,
                outcome,
                a.payer.clone(),
                a.detail.clone(),
                now,
            ));
            out.push(audit(
                &Actor::system(&format!("payer {}", a.payer)),
                action,
                detail,
            ));
        }
        (Decision::Closed { to, returned }, Ask::Close { reason, .. }) => {
            out.push(move_invoice(
                backend,
                inv,
                to,
                inv.credit_minor,
                None,
                Some((now, reason.as_str())),
            ));
            out.push(guard_now(backend, inv.id, to, inv.credit_minor));
            out.extend(if to == InvoiceStatus::Void {
                commission::on_voided(backend, inv)
            } else {
                commission::on_settled(backend, inv)
            });
            if returned.minor > 0 {
                out.push(
                    credit_ledger::Entity::insert(credits::credit_returned(now, inv, actor))
                        .build(backend),
                );
            }
            out.push(audit(
                actor,
                &format!("invoice.{}", to.as_str()),
                format!("{} {}: {reason}", inv.number, to.label().to_lowercase()),
            ));
        }
        // Refusals write nothing; the other pairs cannot be decided for these asks.
        _ => {}
    }
    Ok(out)
}

/// What paying from credit can offer on an invoice: the customer's balance in its currency
/// and the amount to suggest (the balance, at most what is due). `None` when credit cannot
/// pay it or there is none.
pub async fn credit_offer(
    core: &Core,
    inv: &super::InvoiceView,
) -> Result<Option<(Money, Money)>, CreditError> {
    if !inv.can_pay_from_credit() {
        return Ok(None);
    }
    let balance = credits::balance(core, inv.account_id, inv.due.currency).await?;
    Ok((balance.minor > 0).then(|| {
        let suggested = Money::new(balance.minor.min(inv.due.minor), balance.currency);
        (balance, suggested)
    }))
}

/// The ledger entry that spends credit on the invoice.
fn spend(
    now: DateTime<Utc>,
    inv: &invoices::Model,
    amount: Money,
    actor: &Actor,
    id: Uuid,
    backend: DbBackend,
) -> Statement {
    let mut row = credits::row(
        now,
        credits::NewEntry {
            account: inv.account_id,
            kind: CreditKind::Spend,
            amount: Money::new(-amount.minor, amount.currency),
            note: format!("Paid towards {}", inv.number),
            actor,
            partner: Some(inv.partner_id),
            invoice: Some(inv.id),
            expires_on: None,
            lot: None,
        },
    );
    row.id = Set(id);
    credit_ledger::Entity::insert(row).build(backend)
}

/// The invoice's move from the state it was decided on (its status and credit as read) to
/// `to` with `credit` applied: changes nothing when another request moved it first.
fn move_invoice(
    backend: DbBackend,
    inv: &invoices::Model,
    to: InvoiceStatus,
    credit: i64,
    paid_at: Option<DateTime<Utc>>,
    closed: Option<(DateTime<Utc>, &str)>,
) -> Statement {
    let mut update = invoices::Entity::update_many()
        .col_expr(invoices::Column::Status, Expr::value(to))
        .col_expr(invoices::Column::CreditMinor, Expr::value(credit));
    if let Some(at) = paid_at {
        update = update.col_expr(invoices::Column::PaidAt, Expr::value(at));
    }
    if let Some((at, reason)) = closed {
        update = update
            .col_expr(invoices::Column::ClosedAt, Expr::value(at))
            .col_expr(invoices::Column::CloseReason, Expr::value(reason));
    }
    update
        .filter(invoices::Column::Id.eq(inv.id))
        .filter(invoices::Column::Status.eq(inv.status))
        .filter(invoices::Column::CreditMinor.eq(inv.credit_minor))
        .build(backend)
}

/// Fails every write made with it unless the invoice is now `status` with `credit` applied
/// (what the decision made it). A payment that lost the race to another one is refused by the
/// unique successful payment per invoice as well.
fn guard_now(backend: DbBackend, invoice: Uuid, status: InvoiceStatus, credit: i64) -> Statement {
    crate::db::guard(
        backend,
        Query::select()
            .expr(Expr::val(1))
            .from(invoices::Entity)
            .and_where(invoices::Column::Id.eq(invoice))
            .and_where(invoices::Column::Status.eq(status))
            .and_where(invoices::Column::CreditMinor.eq(credit))
            .to_owned(),
    )
}

#[allow(clippy::too_many_arguments)]
fn payment_row(
    backend: DbBackend,
    inv: &invoices::Model,
    gateway: PaymentGateway,
    reference: String,
    amount: Money,
    outcome: PaymentOutcome,
    payer: String,
    detail: Option<String>,
    now: DateTime<Utc>,
) -> Statement {
    payments::Entity::insert(payments::ActiveModel {
        id: Set(Uuid::now_v7()),
        invoice_id: Set(inv.id),
        gateway: Set(gateway),
        reference: Set(reference),
        amount_minor: Set(amount.minor),
        currency: Set(amount.currency),
        outcome: Set(outcome),
        payer: Set(payer),
        detail: Set(detail),
        created_at: Set(now),
    })
    .build(backend)
}

/// The receipts of a paid invoice: to the partner's users, the customer, and the payer when
/// an email was given.
async fn receipt_messages(
    conn: &impl ConnectionTrait,
    inv: &invoices::Model,
    total: Money,
    gateway: PaymentGateway,
    payer: &str,
    now: DateTime<Utc>,
) -> Result<Vec<crate::email::EmailMessage>, InvoiceError> {
    let receipt = messages::Receipt {
        number: inv.number.clone(),
        seller: inv.seller.clone(),
        customer: inv.customer_name.clone(),
        total: total.to_string(),
        paid_at: now.format("%-d %b %Y, %H:%M UTC").to_string(),
        test: gateway == PaymentGateway::Test,
        via: gateway.label().to_string(),
    };
    let mut to: Vec<String> = users::Entity::find()
        .filter(users::Column::PartnerId.eq(inv.partner_id))
        .filter(users::Column::Active.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    if payer.contains('@') {
        to.push(payer.to_string());
    }
    if let Some(a) = accounts::Entity::find_by_id(inv.account_id)
        .one(conn)
        .await?
    {
        to.push(a.primary_email);
    }
    to.sort();
    to.dedup();
    Ok(to
        .iter()
        .map(|addr| receipt.render(addr))
        .collect::<Result<_, _>>()?)
}

/// Pays an open invoice wholly or partly from the customer's credit in its currency, through
/// the settlement executor: never more than is left to pay, nor than the balance. When
/// nothing is left to pay the invoice is paid (receipts go out in the same transaction).
/// `who` is the payer as recorded. Answers the invoice's status after.
#[tracing::instrument(skip(core, who))]
pub async fn pay_from_credit(
    core: &Core,
    who: &Actor,
    invoice: Uuid,
    amount: Money,
) -> Result<InvoiceStatus, CreditError> {
    credits::within_limit(amount)?;
    let ask = Ask::Credit { amount };
    let done = apply(core, invoice, ask, who).await.map_err(|e| match e {
        // A fault stays a fault (a 500 page, logged), never a message next to a field.
        InvoiceError::Fault(f) => CreditError::Fault(f),
        InvoiceError::NotFound => CreditError::NotFound,
        InvoiceError::Refused(r) => CreditError::Refused(r),
        e => CreditError::Fault(Fault::Db(sea_orm::DbErr::Custom(e.to_string()))),
    })?;
    match done {
        Settled::Decided(Decision::Paid { .. }) => Ok(InvoiceStatus::Paid),
        Settled::Decided(Decision::PartlyPaid { .. }) => Ok(InvoiceStatus::Open),
        Settled::Decided(Decision::Refused(why)) => Err(match why {
            Refusal::MoreThanBalance { balance } => CreditError::Insufficient { balance },
            Refusal::NotOpen(_) => CreditError::Refused(why),
            why => CreditError::Invalid {
                field: "amount",
                message: why.to_string(),
            },
        }),
        other => Err(Fault::Db(sea_orm::DbErr::Custom(format!(
            "paying from credit gave {other:?}"
        )))
        .into()),
    }
}
