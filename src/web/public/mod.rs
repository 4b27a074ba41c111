//! Pages for anyone, signed in or not: sign-in and passwords, the partner and customer
//! sign-ups, and the payment link.
pub mod auth;
pub mod invitations;
pub mod partner_signup;
pub mod pay;
pub mod security;
pub mod signup;
