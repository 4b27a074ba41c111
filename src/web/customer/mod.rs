//! Pages for customers: the confirmation link (no sign-in), their partner, their orders,
//! licenses, invoices, credits, users and activity, self-signup, joining by invitation.
pub mod activity;
pub mod confirm;
pub mod licenses;
pub mod records;
