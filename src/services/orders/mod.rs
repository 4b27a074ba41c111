//! Orders on behalf of a customer, and the licenses and trials they make (seed 002 "Add
//! Product"). Every order records the list price, the partner's cost and the customer's price
//! of its moment; one order is one transaction, and a form key (web) or an Idempotency-Key
//! (API) makes a repeat answer with the first order instead of a second one.
//!
//! - `place`: quote, place, cancel in the grace period, change seats;
//! - `licenses`: trials and their conversion, seats given to users, auto-renew, and the
//!   registration's Usage and Coming Expiry Date kept in step;
//! - `queries`: a customer's orders, licenses and trials; one order; one license;
//! - `due`: the job that reminds, expires and renews.
mod due;
mod licenses;
mod place;
mod queries;

pub use due::{licenses_due, DueReport};
pub use licenses::{
    assign_seat, convert_trial, refresh_usage, set_auto_renew, start_trial, unassign_seat, Holder,
};
pub use place::{
    cancel_order, cancellable_until, change_seats, place, quote, OrderInput, Placed, Placement,
    Quote,
};
pub use queries::{
    account_licenses, account_orders, customer_commerce, license, licenses_for, order,
    AccountLicense, CustomerCommerce, LicenseDetail, OrderDetail, Seat, ACCOUNT_ORDERS,
};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{customer_prices::CustomerPriceError, pricing::PricingError, Fault};
use crate::{
    domain::{PartnerId, RegistrationId, Status},
    entities::registrations,
};

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// Fields refused, each with its message: `product`, `quantity`, `term`, `start`,
    /// `currency`, `seats`, `user`.
    #[error("{}", .0.first().map(|(_, m)| m.as_str()).unwrap_or("invalid"))]
    Invalid(Vec<(&'static str, String)>),
    #[error("Orders can be placed for active customers only.")]
    NotActive,
    /// A trial of this product was already started for this account.
    #[error("This customer has already had a trial of {0}.")]
    TrialTaken(String),
    /// The order cannot be cancelled any more (or never could).
    #[error("{0}")]
    NotCancellable(String),
    /// The license is not active: nothing can change on it.
    #[error("This license is {0}: it can no longer change.")]
    Closed(String),
    #[error("A price is too large to compute.")]
    Overflow,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(OrderError);

impl OrderError {
    pub fn field(name: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![(name, message.into())])
    }
}

impl From<CustomerPriceError> for OrderError {
    fn from(e: CustomerPriceError) -> Self {
        match e {
            CustomerPriceError::Pricing(PricingError::Fault(f)) => Self::Fault(f),
            CustomerPriceError::Pricing(PricingError::Overflow) => Self::Overflow,
            _ => Self::NotFound,
        }
    }
}

impl From<crate::domain::money::MoneyError> for OrderError {
    fn from(_: crate::domain::money::MoneyError) -> Self {
        Self::Overflow
    }
}

/// The partner's own registration; another partner's is "not found".
async fn own_registration(
    conn: &impl ConnectionTrait,
    partner: PartnerId,
    id: RegistrationId,
) -> Result<registrations::Model, OrderError> {
    registrations::Entity::find_by_id(id.uuid())
        .filter(registrations::Column::PartnerId.eq(partner.uuid()))
        .one(conn)
        .await?
        .ok_or(OrderError::NotFound)
}

/// The partner's own registration, which must be active for anything to be ordered.
async fn active_registration(
    conn: &impl ConnectionTrait,
    partner: PartnerId,
    id: RegistrationId,
) -> Result<registrations::Model, OrderError> {
    let reg = own_registration(conn, partner, id).await?;
    if reg.status != Status::Active {
        return Err(OrderError::NotActive);
    }
    Ok(reg)
}
