use sea_orm::entity::prelude::*;

use crate::domain::Currency;

/// A partner's limits on promotional credit in one currency. `None`: not set (members may
/// grant nothing; the ceiling is the default).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_grant_limits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: Currency,
    /// Set by the partner's admins.
    pub member_per_grant_minor: Option<i64>,
    /// Set by the partner's admins.
    pub member_per_month_minor: Option<i64>,
    /// Set by the provider's staff.
    pub ceiling_minor: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
