//! Payment gateways behind one trait. `test` (chosen by `PAYMENTS=test`, or a development
//! server's default) approves or declines by the test card chosen on the pay page and works
//! without JavaScript; `stripe`
//! (when its three keys are set) charges a card entered in Stripe.js Elements, so card numbers
//! never reach this server, and confirms payments by its signed webhook. The services record
//! what a gateway answers; a gateway never touches the database.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::Money;

pub mod stripe;
pub mod test_card;

pub use stripe::{Stripe, StripeSettings};
pub use test_card::TestGateway;

/// How the payer pays, as the pay page collected it.
#[derive(Clone, Debug)]
pub enum Method {
    /// The test gateway's cards: approve or decline.
    TestCard { approve: bool },
    /// A card tokenized by the gateway's JavaScript in the payer's browser (Stripe: the id of
    /// the card from `stripe.createToken`). The number itself never reaches this server.
    Token(String),
}

/// One payment attempt on an invoice.
#[derive(Clone, Debug)]
pub struct Charge {
    pub invoice: Uuid,
    pub number: String,
    pub amount: Money,
    pub method: Method,
    /// The same key for a repeated submit of the same attempt (a double click): the gateway
    /// answers it once.
    pub idempotency_key: String,
}

/// A gateway's answer to a charge (or to a later look at it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The money was taken: `amount` is what the gateway took.
    Paid { reference: String, amount: Money },
    /// Refused; nothing was taken.
    Declined { reference: String, reason: String },
    /// The payer's bank asks for authentication (3-D Secure) in the browser, with this secret.
    NeedsAction {
        reference: String,
        client_secret: String,
    },
    /// Accepted and not settled yet: the webhook will say.
    Pending { reference: String },
}

/// What a payment's webhook said, once its signature was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A payment succeeded for this invoice (as named in the attempt's metadata).
    Succeeded {
        invoice: Uuid,
        reference: String,
        amount: Money,
        payer: Option<String>,
    },
    /// Any other event, or one about something that is not one of our invoices: answered,
    /// without effect.
    Ignored { kind: String },
}

/// What the pay page needs to collect a payment.
#[derive(Clone, Debug)]
pub enum PayForm {
    /// Two buttons, no JavaScript.
    TestCards,
    /// Stripe.js Elements: the script to load, the key to give it, and the origins the page's
    /// Content-Security-Policy must allow.
    Elements {
        publishable_key: String,
        js_url: String,
        js_origin: String,
        api_origin: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway could not be reached or answered something unexpected: nothing is known to
    /// have been taken (a charge that did go through is confirmed by its webhook).
    #[error(
        "The payment service did not answer ({0}). Nothing was recorded; try again in a moment."
    )]
    Unavailable(String),
    /// This gateway does not take that method (a test card on Stripe, a token on `test`).
    #[error("This payment method is not available here.")]
    Unsupported,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("missing or malformed signature header")]
    Header,
    #[error("the signature does not match the body")]
    Signature,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("the body is not an event")]
    Body,
    #[error("this gateway takes no webhooks")]
    NotTaken,
}

#[async_trait]
pub trait Gateway: Send + Sync {
    /// Which gateway it is, as payments record it.
    fn kind(&self) -> crate::domain::payment::PaymentGateway;

    fn form(&self) -> PayForm;

    /// Attempts the charge.
    async fn charge(&self, charge: &Charge) -> Result<Outcome, GatewayError>;

    /// Looks again at an attempt (after the browser's authentication step): its outcome, and
    /// the invoice it was for.
    async fn look(&self, reference: &str) -> Result<(Outcome, Option<Uuid>), GatewayError>;

    /// Checks a webhook's signature and reads its event. `now` is the clock's time.
    fn event(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Event, WebhookError>;
}
