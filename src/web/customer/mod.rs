//! Pages for customers: the confirmation link (no sign-in), their partner, their licenses,
//! invoices and activity, self-signup.
pub mod activity;
pub mod confirm;
pub mod licenses;
