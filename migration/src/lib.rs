//! Database schema, one file per migration. Runs on SQLite and PostgreSQL alike.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_registrations;
mod m20261123_000003_api;
mod m20261203_000004_search;
mod m20261203_000005_search_more;
mod m20261203_000006_partner_home;
mod m20261203_000007_search_index_per_kind;
mod m20261203_000008_catalog;
mod m20261203_000009_search_sort_at;
mod m20261203_000010_job_indexes;
mod m20261203_000011_price_lists;
mod m20261203_000012_customer_prices;
mod m20261203_000013_orders;
mod m20261203_000014_invoices;
mod m20261203_000015_billing;
mod m20261203_000016_login_as;
mod m20261203_000017_account_users;
mod m20261203_000018_commission;
mod m20261207_000019_revenue_figures;
mod m20261207_000020_two_factor;
mod m20261207_000021_grant_limits;
mod m20261208_000022_paid_12_months;
mod m20261208_000023_month_index_by_paid;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_registrations::Migration),
            Box::new(m20261123_000003_api::Migration),
            Box::new(m20261203_000004_search::Migration),
            Box::new(m20261203_000005_search_more::Migration),
            Box::new(m20261203_000006_partner_home::Migration),
            Box::new(m20261203_000007_search_index_per_kind::Migration),
            Box::new(m20261203_000008_catalog::Migration),
            Box::new(m20261203_000009_search_sort_at::Migration),
            Box::new(m20261203_000010_job_indexes::Migration),
            Box::new(m20261203_000011_price_lists::Migration),
            Box::new(m20261203_000012_customer_prices::Migration),
            Box::new(m20261203_000013_orders::Migration),
            Box::new(m20261203_000014_invoices::Migration),
            Box::new(m20261203_000015_billing::Migration),
            Box::new(m20261203_000016_login_as::Migration),
            Box::new(m20261203_000017_account_users::Migration),
            Box::new(m20261203_000018_commission::Migration),
            Box::new(m20261207_000019_revenue_figures::Migration),
            Box::new(m20261207_000020_two_factor::Migration),
            Box::new(m20261207_000021_grant_limits::Migration),
            Box::new(m20261208_000022_paid_12_months::Migration),
            Box::new(m20261208_000023_month_index_by_paid::Migration),
        ]
    }
}
