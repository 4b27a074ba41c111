//! Who is asking, on the web face: server-side sessions, typed session data, extractors that
//! admit only the right kind of user, and CSRF tokens. (Password hashing, random tokens and
//! throttling sit below the services, in `security`.)
pub mod csrf;
pub mod extractors;
pub mod principal;
pub mod session;
pub mod session_store;

pub use extractors::{CustomerUser, MaybePrincipal, PartnerAdmin, PartnerUser, StaffUser};
pub use principal::Principal;
