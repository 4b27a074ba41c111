use sea_orm::entity::prelude::*;

use crate::domain::{
    invoice::{InvoiceKind, InvoiceStatus},
    Currency,
};

/// A bill from the provider to a customer, with the partner as seller of record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// INV-2026-000123
    pub number: String,
    pub year: i32,
    pub seq: i64,
    pub partner_id: Uuid,
    pub registration_id: Uuid,
    pub account_id: Uuid,
    pub order_id: Option<Uuid>,
    pub kind: InvoiceKind,
    pub currency: Currency,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub status: InvoiceStatus,
    pub issued_at: DateTimeUtc,
    pub due_on: Date,
    pub paid_at: Option<DateTimeUtc>,
    /// When it was voided or written off, and why.
    pub closed_at: Option<DateTimeUtc>,
    pub close_reason: Option<String>,
    /// SHA-256 of the payment link's token.
    pub pay_token_hash: String,
    /// Bumped when the partner replaces the link.
    pub link_version: i32,
    pub seller: String,
    pub customer_name: String,
    pub customer_country: String,
    /// Credit applied to it: what is left to pay is the total less this.
    pub credit_minor: i64,
    /// On a credit note: the invoice it corrects.
    pub credit_of: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
