use sea_orm::entity::prelude::*;

/// One line of an invoice, its prices copied from the order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub position: i32,
    pub description: String,
    pub product_id: Option<Uuid>,
    pub quantity: i32,
    pub unit_minor: i64,
    pub amount_minor: i64,
    pub tax_bp: i32,
    pub tax_minor: i64,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
