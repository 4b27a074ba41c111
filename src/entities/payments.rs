use sea_orm::entity::prelude::*;

use crate::domain::{
    payment::{PaymentGateway, PaymentOutcome},
    Currency,
};

/// One payment attempt's outcome. At most one succeeds per invoice, and a gateway's reference
/// is recorded once (both unique indexes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub gateway: PaymentGateway,
    pub reference: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub outcome: PaymentOutcome,
    pub payer: String,
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
