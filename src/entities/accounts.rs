use sea_orm::entity::prelude::*;

use crate::domain::{AccountSource, BillingMode};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_name: String,
    /// Lower-cased; unique.
    pub primary_email: String,
    pub country: String,
    pub phone: String,
    pub data_center: String,
    /// Comma-separated.
    pub tags: String,
    pub billing_mode: BillingMode,
    pub in_poc: bool,
    pub active: bool,
    pub source: AccountSource,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
