use sea_orm::entity::prelude::*;

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
    /// `prepaid` | `postpaid`
    pub billing_mode: String,
    pub in_poc: bool,
    pub active: bool,
    /// `signup` | `staff` | `import` | `partner` | `api`
    pub source: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
