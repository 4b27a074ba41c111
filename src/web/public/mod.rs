//! Pages for anyone, signed in or not: sign-in and passwords, and the partner and customer
//! sign-ups.
pub mod auth;
pub mod partner_signup;
pub mod signup;
