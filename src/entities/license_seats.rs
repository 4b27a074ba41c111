use sea_orm::entity::prelude::*;

/// One of a license's seats, given to one of the customer's users.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "license_seats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub license_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub assigned_at: DateTimeUtc,
    pub assigned_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
