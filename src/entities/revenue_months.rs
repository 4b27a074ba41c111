use sea_orm::entity::prelude::*;

use crate::domain::Currency;

/// A partner's revenue from one customer account (or, for the nil account, from all of them)
/// in one month and currency, kept in step by the transactions that change it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revenue_months")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: Currency,
    pub invoiced_minor: i64,
    pub settled_minor: i64,
    pub paid_minor: i64,
    pub commission_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
