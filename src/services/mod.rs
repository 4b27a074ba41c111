//! Business operations, one module per area. Functions that open their own transaction take
//! `&AppState`; building blocks take `&impl ConnectionTrait` so callers compose them.
pub mod accounts;
pub mod api_apps;
pub mod approvals;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod customer_signup;
pub mod idempotency;
pub mod jobs;
pub mod onboarding;
pub mod partners;
pub mod registrations;
pub mod seed;
pub mod signup;
pub mod staff;
pub mod tokens;
