//! Paying an invoice through the configured gateway: the pay page's attempt, the
//! browser's return from the bank's authentication, and the gateway's webhook. All three record
//! the gateway's answer through the settlement executor (`invoices::settlement`), keyed by the
//! gateway's reference, so whichever arrives first pays the invoice and the others change
//! nothing.
use uuid::Uuid;

use super::{
    audit::Actor,
    invoices::{
        self,
        settlement::{self, Ask, CardAnswer, Settled},
        InvoiceError,
    },
    Core,
};
use crate::{
    domain::{invoice::InvoiceStatus, settlement::Decision},
    payments::{Charge, Event, Method, Outcome, WebhookError},
};

/// Where a pay-page attempt ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Paying {
    Paid,
    /// The payer's bank wants authentication in the browser (3-D Secure).
    Action {
        reference: String,
        client_secret: String,
    },
    /// Accepted, not settled: the webhook will mark it paid.
    Pending,
}

/// Pays the invoice a payment link opens: asks the gateway, then records its answer. A
/// declined card is recorded and answered as `InvoiceError::Declined`; an invoice no longer
/// open as `Refused`. `attempt` identifies the submit: the same value twice (a double click)
/// is one charge at the gateway.
#[tracing::instrument(skip(core, token, method, payer))]
pub async fn pay(
    core: &Core,
    token: &str,
    method: Method,
    payer: &str,
    attempt: &str,
) -> Result<Paying, InvoiceError> {
    let v = invoices::by_token(core, token).await?;
    if v.invoice.status != InvoiceStatus::Open {
        return Err(InvoiceError::Refused(
            crate::domain::settlement::Refusal::NotOpen(v.invoice.status),
        ));
    }
    let gateway = core.gateway.clone();
    let charge = Charge {
        invoice: v.invoice.id,
        number: v.invoice.number.clone(),
        amount: v.invoice.due,
        method,
        idempotency_key: idempotency_key(v.invoice.id, attempt),
    };
    let outcome = gateway.charge(&charge).await?;
    settle(core, v.invoice.id, outcome, payer).await
}

/// The browser is back from the bank's authentication with the attempt's reference: looks at
/// the attempt at the gateway and records what it says, if it is for this link's invoice.
pub async fn returned(
    core: &Core,
    token: &str,
    reference: &str,
    payer: &str,
) -> Result<Paying, InvoiceError> {
    let v = invoices::by_token(core, token).await?;
    let (outcome, invoice) = core.gateway.look(reference).await?;
    if invoice != Some(v.invoice.id) {
        // Another invoice's attempt: nothing to do with this link.
        return Err(InvoiceError::NotFound);
    }
    if v.invoice.status == InvoiceStatus::Paid && matches!(outcome, Outcome::Paid { .. }) {
        // The webhook was first: already recorded (or recorded now, as a second payment
        // to refund, if it was another attempt).
        settle(core, v.invoice.id, outcome, payer).await.ok();
        return Ok(Paying::Paid);
    }
    settle(core, v.invoice.id, outcome, payer).await
}

async fn settle(
    core: &Core,
    invoice: Uuid,
    outcome: Outcome,
    payer: &str,
) -> Result<Paying, InvoiceError> {
    let payer = if payer.is_empty() {
        "pay link".to_string()
    } else {
        payer.to_string()
    };
    let (reference, amount, approved, detail) = match outcome {
        Outcome::Paid { reference, amount } => (reference, amount, true, None),
        Outcome::Declined { reference, reason } => {
            let due = invoices::amount_due(core, invoice).await?;
            (reference, due, false, Some(reason))
        }
        Outcome::NeedsAction {
            reference,
            client_secret,
        } => {
            return Ok(Paying::Action {
                reference,
                client_secret,
            })
        }
        Outcome::Pending { .. } => return Ok(Paying::Pending),
    };
    let answer = CardAnswer {
        gateway: core.gateway.kind(),
        reference,
        amount,
        approved,
        detail: detail.clone(),
        payer: payer.clone(),
    };
    let actor = Actor::system(&format!("payer {payer}"));
    match settlement::apply(core, invoice, Ask::Card(answer), &actor).await? {
        Settled::Decided(Decision::Paid { .. }) | Settled::Again(InvoiceStatus::Paid) => {
            Ok(Paying::Paid)
        }
        Settled::Decided(Decision::Declined) => Err(InvoiceError::Declined(
            detail.unwrap_or_else(|| "the card was declined.".into()),
        )),
        Settled::Decided(Decision::Mismatch { .. }) => Err(InvoiceError::Mismatch),
        Settled::Decided(Decision::Refused(why)) => Err(InvoiceError::Refused(why)),
        Settled::Again(_) => Ok(Paying::Pending),
        Settled::Decided(d) => Err(InvoiceError::Fault(crate::services::Fault::Db(
            sea_orm::DbErr::Custom(format!("a card answer was decided as {d:?}")),
        ))),
    }
}

/// What the webhook endpoint answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The invoice is now paid (or already was, by this very payment).
    Applied,
    /// Understood, nothing to do: another kind of event, not one of our invoices, an invoice
    /// closed meanwhile, or the same event again.
    Ignored,
}

/// A gateway's webhook: checks its signature, then records a succeeded payment exactly once.
/// A bad signature, a stale timestamp or a body that is not an event is refused and changes
/// nothing.
#[tracing::instrument(skip(core, signature, body))]
pub async fn webhook(
    core: &Core,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Result<Delivery, WebhookError>, InvoiceError> {
    let event = match core.gateway.event(signature, body, core.now()) {
        Ok(e) => e,
        Err(e) => return Ok(Err(e)),
    };
    let Event::Succeeded {
        invoice,
        reference,
        amount,
        payer,
    } = event
    else {
        return Ok(Ok(Delivery::Ignored));
    };
    let answer = CardAnswer {
        gateway: core.gateway.kind(),
        reference,
        amount,
        approved: true,
        detail: None,
        payer: payer.unwrap_or_else(|| format!("{} webhook", core.gateway.kind().as_str())),
    };
    let actor = Actor::system(&format!("payer {}", answer.payer));
    match settlement::apply(core, invoice, Ask::Card(answer), &actor).await {
        Ok(Settled::Decided(Decision::Paid { .. })) => Ok(Ok(Delivery::Applied)),
        // Not ours, the same event again, money kept for a refund (recorded and flagged),
        // or nothing to apply: understood, without effect on the invoice.
        Ok(_) | Err(InvoiceError::NotFound) => Ok(Ok(Delivery::Ignored)),
        Err(e) => Err(e),
    }
}

/// One key per invoice and pay-page submit: a repeated submit is one charge.
fn idempotency_key(invoice: Uuid, attempt: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(invoice.as_bytes());
    h.update(attempt.as_bytes());
    hex::encode(&h.finalize()[..16])
}
