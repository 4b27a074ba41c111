//! Pure types and rules: no I/O, no HTTP, no database. Input is parsed into these types at the
//! edge; past that point a value is valid by construction.
pub mod account;
pub mod commission;
pub mod countries;
pub mod credit;
pub mod eligibility;
pub mod email;
pub mod grant_limits;
pub mod ids;
pub mod invoice;
pub mod login_as;
pub mod mail;
pub mod money;
pub mod order;
pub mod password;
pub mod payment;
pub mod payout;
pub mod pricing;
pub mod product;
pub mod profile;
pub mod registration;
pub mod role;
pub mod settlement;
pub mod two_factor;

pub use account::{AccountSource, BillingMode, CustomerType};
pub use commission::CommissionRate;
pub use credit::CreditKind;
pub use email::Email;
pub use ids::{AccountId, AppId, LicenseId, OrderId, PartnerId, ProductId, RegistrationId, UserId};
pub use money::{Currency, Money};
pub use password::NewPassword;
pub use product::{ProductKind, QuantityBounds, Sku};
pub use profile::{CountryCode, Phone, PlainName};
pub use registration::{Channel, Status};
pub use role::{PartnerRole, Role, UserKind};

/// Why a value was refused, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}
