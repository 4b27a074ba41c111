//! Credit bought with money: the ledger entry a paid top-up invoice adds (the invoice itself
//! is issued by `invoices::topup`).

use super::super::audit::Actor;
use crate::{
    domain::{credit::CreditKind, Money},
    entities::{credit_ledger, invoices as invoice_rows},
};

use super::*;

/// The ledger entry a paid top-up invoice adds, inside the payment's transaction.
pub(crate) fn topup_paid(
    now: chrono::DateTime<chrono::Utc>,
    inv: &invoice_rows::Model,
    payer: &str,
) -> credit_ledger::ActiveModel {
    let currency = inv.currency;
    row(
        now,
        NewEntry {
            account: inv.account_id,
            kind: CreditKind::Topup,
            amount: Money::new(inv.subtotal_minor, currency),
            note: format!("Top-up {} paid", inv.number),
            actor: &Actor::system(&format!("payer {payer}")),
            partner: Some(inv.partner_id),
            invoice: Some(inv.id),
            expires_on: None,
            lot: None,
        },
    )
}
