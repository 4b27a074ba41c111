//! Pages for customers: the confirmation link (no sign-in), their partner, self-signup.
pub mod confirm;
