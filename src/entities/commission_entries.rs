use sea_orm::entity::prelude::*;

use crate::domain::{commission::EntryKind, Currency};

/// What a paid invoice line earned its partner, what a credit note reversed, or what
/// promotional credit the partner granted was charged to it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub partner_id: Uuid,
    pub account_id: Uuid,
    pub registration_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    /// The invoice line, credit-note line or credit grant behind it (one entry of a kind each).
    pub source_id: Uuid,
    pub product_id: Option<Uuid>,
    /// `earned`, `reversed` or `charged`.
    pub kind: EntryKind,
    pub rate_bp: i32,
    pub base_minor: i64,
    /// Always positive: the kind says which way it counts.
    pub amount_minor: i64,
    pub currency: Currency,
    /// The statement month, "2026-12".
    pub period: String,
    pub description: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
