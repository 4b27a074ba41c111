//! Partner Portal: a provider's partners sign up, register their customers and earn commission.
//! `startup` wires everything; `web` is the HTML face; `services` and `domain` hold the rules.
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod documents;
pub mod domain;
pub mod email;
pub mod entities;
pub mod error;
pub mod payments;
pub mod security;
pub mod seed;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
