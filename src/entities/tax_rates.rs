use sea_orm::entity::prelude::*;

/// The tax staff charge customers of one country (none: 0 %).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tax_rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub country: String,
    pub rate_bp: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
