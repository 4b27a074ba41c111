//! Pages for customers: the confirmation link (no sign-in), their partner, their licenses,
//! self-signup.
pub mod confirm;
pub mod licenses;
