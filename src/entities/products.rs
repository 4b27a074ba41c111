use sea_orm::entity::prelude::*;

use crate::domain::ProductKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Capitals, unique (`Sku`).
    pub sku: String,
    pub name: String,
    pub description: String,
    /// What one unit is: seat, GB, license…
    pub unit: String,
    pub kind: ProductKind,
    /// 0 = no trial.
    pub trial_days: i32,
    pub min_quantity: i32,
    pub max_quantity: i32,
    /// A retired product (false) takes no new orders and stays on old ones.
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
