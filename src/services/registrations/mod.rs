//! The registration workflow: a partner asks for a customer account (existing or new), the
//! customer confirms by email, staff approve. Every transition goes through the pure state
//! machine (`domain::registration`), writes an audit event and queues the emails it implies
//! in one transaction.
//!
//! - `eligibility`: the facts the rules need, read in one query, and re-checks;
//! - `add`: a new registration, for an existing account or a new one;
//! - `transitions`: confirm, decline, resend, cancel, approve, reject, end, expire;
//! - `notifications`: who is emailed about each transition;
//! - `queries`: My Customers, a customer's page, the approval queue, the customer's partner.
mod add;
mod eligibility;
mod notifications;
mod queries;
mod transitions;

use sea_orm::{ConnectionTrait, EntityTrait};

pub use add::{add_existing, add_new, link_existing, NewCustomer};
pub use eligibility::{check_email, gather_facts, is_live, recheck};
pub use queries::{
    approval_queue, attention, customer, customer_user, list, live_for_account, review, Attention,
    CustomerDetail, CustomerExport, CustomerQuery, CustomerRow, CustomerSort, QueueItem, Recent,
    Review, COUNT_CAP,
};
pub use transitions::{
    answer, approve, cancel, confirmation, end, end_refused, expire_due, reject, resend,
    ConfirmationView, Ender,
};

use super::accounts::AccountError;
use crate::{
    domain::{
        eligibility::{Rule, Verdict},
        registration::NotAllowed,
        CommissionRate, CustomerType, PartnerId, PlainName, RegistrationId, Status,
    },
    entities::{accounts as account, partners, registrations},
    services::{tokens::LinkProblem, Fault},
};

#[derive(Debug, thiserror::Error)]
pub enum RegError {
    /// One or more eligibility rules failed; each is named.
    #[error("the account cannot be registered")]
    Ineligible(Vec<Verdict>),
    /// A new account was asked for, but that email already has one.
    #[error("An account with this email already exists; link it instead.")]
    AccountExists,
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
    #[error(transparent)]
    Link(#[from] LinkProblem),
    /// The request behind a confirmation link is no longer waiting for the customer: where
    /// it went since (confirmed and waiting for the provider, active, declined…).
    #[error("this request is {} now", .status.label().to_lowercase())]
    Answered { status: Status, partner: String },
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Fault(#[from] Fault),
}

faults_into!(RegError);

impl From<AccountError> for RegError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::EmailTaken => Self::AccountExists,
            AccountError::NotFound => Self::NotFound,
            AccountError::Fault(e) => e.into(),
        }
    }
}

impl RegError {
    /// The failed rule names, for the API's `errors`.
    pub fn failed_rules(&self) -> Vec<Rule> {
        match self {
            Self::Ineligible(v) => v.iter().filter(|v| !v.passed).map(|v| v.rule).collect(),
            _ => vec![],
        }
    }
}

/// What a partner asks for, whichever way it registers the customer.
pub struct Terms {
    pub friendly_name: PlainName,
    pub partner_role: PlainName,
    pub customer_type: CustomerType,
    pub commission: CommissionRate,
    pub management_mode: bool,
}

async fn load(
    conn: &impl ConnectionTrait,
    id: RegistrationId,
) -> Result<registrations::Model, RegError> {
    registrations::Entity::find_by_id(id.uuid())
        .one(conn)
        .await?
        .ok_or(RegError::NotFound)
}

/// A partner's own registration; any other is "not found".
async fn load_for_partner(
    conn: &impl ConnectionTrait,
    partner_id: PartnerId,
    id: RegistrationId,
) -> Result<registrations::Model, RegError> {
    let reg = load(conn, id).await?;
    if reg.partner_id != partner_id.uuid() {
        return Err(RegError::NotFound);
    }
    Ok(reg)
}

/// The registration's partner and account.
async fn names(
    conn: &impl ConnectionTrait,
    reg: &registrations::Model,
) -> Result<(partners::Model, account::Model), RegError> {
    let p = partners::Entity::find_by_id(reg.partner_id)
        .one(conn)
        .await?
        .ok_or(RegError::NotFound)?;
    let a = super::accounts::find(conn, reg.account_id.into())
        .await?
        .ok_or(RegError::NotFound)?;
    Ok((p, a))
}
