//! sea-orm entity declarations only; queries live in `services/`.
pub mod account_discounts;
pub mod account_services;
pub mod accounts;
pub mod api_apps;
pub mod api_calls;
pub mod api_tokens;
pub mod audit_events;
pub mod credit_ledger;
pub mod email_tokens;
pub mod idempotency_keys;
pub mod job_runs;
pub mod login_throttle;
pub mod outbox;
pub mod partners;
pub mod registrations;
pub mod sessions;
pub mod users;
