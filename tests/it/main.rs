//! Integration tests: the real server, a real database and a real SMTP server on loopback,
//! and a real headless browser for the main journeys.
mod account_users;
mod api;
mod browser;
mod catalog;
mod commission;
mod commission_props;
mod company;
mod credits;
mod customer_prices;
mod db;
mod forms;
mod helpers;
mod invoices;
mod login_as;
mod orders;
mod outbox;
mod pricing;
mod registrations;
mod renewals;
mod search;
mod settlement_races;
mod security;
mod signup;
mod staff;
mod staff_accounts;
mod stripe;
