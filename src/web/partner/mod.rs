//! Pages for partner users: home and company, My Customers and each customer, API apps.
pub mod apps;
pub mod company_security;
pub mod credit_limits;
pub mod credits;
pub mod customers;
pub mod home;
pub mod login_as;
pub mod orders;
pub mod prices;
pub mod pricing;
pub mod revenue;
