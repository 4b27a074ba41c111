use sea_orm::entity::prelude::*;

use crate::domain::{
    order::{OrderKind, OrderStatus, Term},
    Currency,
};

/// What a partner bought for a customer, with the prices of that moment (an invoice copies
/// them; later price changes never touch them).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Shown as ORD-000123; from the `orders` counter.
    pub number: i64,
    pub partner_id: Uuid,
    pub registration_id: Uuid,
    pub account_id: Uuid,
    /// `new`, `seats` or `conversion` (`domain::order::OrderKind`).
    pub kind: OrderKind,
    pub product_id: Uuid,
    /// The license it made or changed (subscriptions).
    pub license_id: Option<Uuid>,
    /// Units ordered; for a seat change, the license's seats after it.
    pub quantity: i32,
    pub previous_quantity: Option<i32>,
    /// `monthly`, `yearly` or `one_off`.
    pub term: Term,
    pub starts_on: Date,
    /// The end of the period it bills (a term, or the rest of one for added seats).
    pub ends_on: Option<Date>,
    pub currency: Currency,
    pub list_minor: i64,
    pub cost_minor: i64,
    pub price_minor: i64,
    pub billed_quantity: i32,
    pub total_minor: i64,
    pub cost_total_minor: i64,
    /// `placed` or `cancelled`.
    pub status: OrderStatus,
    pub placed_by: Option<Uuid>,
    pub placed_by_label: String,
    /// `web` or `api`.
    pub via: String,
    pub idem_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
