//! Pages for provider staff: partners, accounts, the approval queue and the audit log.
pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod catalog;
pub mod credit_requests;
pub mod credits;
pub mod partners;
pub mod pricing;
pub mod reminders;
pub mod revenue;
pub mod tax;
pub mod upload;
