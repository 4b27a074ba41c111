use sea_orm::entity::prelude::*;

use crate::domain::{
    order::{LicenseStatus, Term},
    Currency,
};

/// A product a customer holds for a term: bought through an order, or a free trial.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "licenses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub partner_id: Uuid,
    pub registration_id: Uuid,
    pub account_id: Uuid,
    pub product_id: Uuid,
    pub trial: bool,
    pub seats: i32,
    /// Rows in `license_seats`, kept in step in the same transaction.
    pub seats_assigned: i32,
    /// The currency its orders are priced in (none for a trial).
    pub currency: Option<Currency>,
    /// `monthly`, `yearly` or `trial` (`domain::order::Term`).
    pub term: Term,
    pub starts_on: Date,
    pub ends_on: Date,
    pub auto_renew: bool,
    /// `domain::order::LicenseStatus`.
    pub status: LicenseStatus,
    /// Trial reminders sent: 0 none, 7 the week's, 1 the last day's.
    pub reminded: i32,
    /// The end of the last term invoiced (the renewal job bills the next one before it).
    pub billed_until: Date,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
