//! Business operations, one module per area. Functions that open their own transaction take
//! the services' own context, [`Core`]; building blocks take `&impl ConnectionTrait` (and the
//! time, when they stamp or check it) so callers compose them in one transaction. Nothing here
//! knows the web: no module imports `startup`, `web` or `api`.
/// What can fail inside any service besides its own refusals: the database, rendering an
/// email, hashing a password. The cause is kept (and logged by the face that answers 500).
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Email(#[from] askama::Error),
    #[error(transparent)]
    Hash(#[from] crate::security::password::HashError),
    /// A library outside the database and mail (the TOTP secret, the QR code).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// `From` the causes of a [`Fault`] for a service error with a `Fault(Fault)` variant, so `?`
/// works on database, template and hashing results alike.
macro_rules! faults_into {
    ($error:ty) => {
        impl From<sea_orm::DbErr> for $error {
            fn from(e: sea_orm::DbErr) -> Self {
                Self::Fault(e.into())
            }
        }
        impl From<askama::Error> for $error {
            fn from(e: askama::Error) -> Self {
                Self::Fault(e.into())
            }
        }
        impl From<crate::security::password::HashError> for $error {
            fn from(e: crate::security::password::HashError) -> Self {
                Self::Fault(e.into())
            }
        }
    };
}
pub(crate) use faults_into;

/// "a registration that is active cannot be cancelled" → "A registration … cancelled."
pub fn sentence(e: impl std::fmt::Display) -> String {
    let mut m = e.to_string();
    if let Some(first) = m.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    if !m.ends_with('.') {
        m.push('.');
    }
    m
}

pub mod accounts;
pub mod api_apps;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod catalog;
pub mod clock;
pub mod commission;
pub mod context;
pub mod counters;
pub mod credit_notes;
pub mod credits;
pub mod csv_rows;
pub mod customer_prices;
pub mod customer_signup;
pub mod export;
pub mod idempotency;
pub mod impersonation;
pub mod invoices;
pub mod jobs;
pub mod mailbox;
pub mod members;
pub mod onboarding;
pub mod orders;
pub mod paid_12m;
pub mod partner_security;
pub mod partners;
pub mod payments;
pub mod pricing;
pub mod registrations;
pub mod reminders;
pub mod renewals;
pub mod revenue;
pub mod search;
pub mod session_rows;
pub mod signup;
pub mod staff;
pub mod tokens;
pub mod two_factor;
pub mod user_sessions;
pub mod views;

pub use clock::Clock;
pub use context::{Core, Links, Rules};
