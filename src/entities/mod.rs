//! sea-orm entity declarations only; queries live in `services/`.
pub mod audit_events;
pub mod email_tokens;
pub mod login_throttle;
pub mod outbox;
pub mod partners;
pub mod sessions;
pub mod users;
