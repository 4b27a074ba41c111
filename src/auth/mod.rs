//! Who is asking: password hashing, server-side sessions, typed session data, extractors
//! that admit only the right kind of user, CSRF tokens and sign-in throttling.
pub mod csrf;
pub mod extractors;
pub mod password;
pub mod principal;
pub mod session;
pub mod session_store;
pub mod throttle;
pub mod tokens;

pub use extractors::{CustomerUser, MaybePrincipal, PartnerAdmin, PartnerUser, StaffUser};
pub use principal::Principal;
