//! Invoices, one responsibility a file:
//! - `issuing`: one invoice per order that charges something, issued right after the order
//!   (and by the job for any left behind), numbered without gaps per year, tax by country;
//! - `links`: the payment link (a token derived from the server secret, stored only as its
//!   hash; replacing it changes the token), the page it opens, emailing it;
//! - `settlement`: the one executor of every movement of money on an invoice (paying by card
//!   or from credit, closing without payment), deciding through `domain::settlement`;
//! - `queries` and `view`: what the pages read, as views (never entity models);
//! - `tax`: staff's rates by country; `digest`: the daily overdue digest to partners.
//!
//! This file keeps the errors and staff's void or write-off.
use uuid::Uuid;

mod digest;
mod issuing;
mod links;
mod queries;
pub mod settlement;
mod tax;
mod topup;
pub mod view;

use super::{audit::Actor, Core, Fault};
use crate::domain::settlement::{Closing, Decision, Refusal};
pub use settlement::{Ask, CardAnswer, Settled};
pub use view::{InvoiceView, LineView, PaymentView};

pub use digest::*;
pub use issuing::*;
pub use links::*;
pub use queries::*;
pub use settlement::{credit_offer, pay_from_credit};
pub use tax::*;
pub use topup::sell_topup;

#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    #[error("not found")]
    NotFound,
    /// The settlement refused the request (the invoice is no longer open, the amount is not
    /// what is due, …): nothing was recorded.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The payment was declined by the gateway; the invoice stays open.
    #[error("The payment was declined: {0} Nothing was charged; try another card.")]
    Declined(String),
    /// Voiding or writing off needs a reason (at most 500 characters).
    #[error("Give the reason, in at most 500 characters.")]
    Reason,
    /// Money was taken that does not match what is due (another amount or currency, or an
    /// invoice another payment paid first): recorded, flagged to staff for a refund, not paid.
    #[error("This payment does not match the invoice (it was paid already, or the amount differs). It was recorded and the provider will refund it.")]
    Mismatch,
    #[error(transparent)]
    Gateway(#[from] crate::payments::GatewayError),
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(InvoiceError);

/// Closes an open invoice without payment (staff): void, or uncollectible, with a reason.
#[tracing::instrument(skip(core, actor))]
pub async fn close(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    how: Closing,
    reason: &str,
) -> Result<(), InvoiceError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(InvoiceError::Reason);
    }
    let ask = settlement::Ask::Close {
        how,
        reason: reason.to_string(),
    };
    match settlement::apply(core, id, ask, actor).await? {
        Settled::Decided(Decision::Closed { .. }) => Ok(()),
        Settled::Decided(Decision::Refused(why)) => Err(InvoiceError::Refused(why)),
        other => Err(Fault::Db(sea_orm::DbErr::Custom(format!("closing gave {other:?}"))).into()),
    }
}
