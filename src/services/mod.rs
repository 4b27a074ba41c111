//! Business operations, one module per area. Functions that open their own transaction take
//! the services' own context, [`Core`]; building blocks take `&impl ConnectionTrait` (and the
//! time, when they stamp or check it) so callers compose them in one transaction. Nothing here
//! knows the web: no module imports `startup`, `web` or `api`.
pub mod accounts;
pub mod api_apps;
pub mod approvals;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod clock;
pub mod context;
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

pub use clock::Clock;
pub use context::{Core, Links, Rules};
