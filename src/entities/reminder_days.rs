use sea_orm::entity::prelude::*;

/// Staff's schedule of customer payment reminders: days relative to an invoice's due date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub offset_days: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
