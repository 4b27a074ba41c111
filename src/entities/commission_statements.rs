use sea_orm::entity::prelude::*;

use crate::domain::{commission::StatementStatus, Currency};

/// A partner's commission for one month in one currency: open while the month runs, closed by
/// the month-end job, approved by staff, paid out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commission_statements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub partner_id: Uuid,
    pub period: String,
    pub currency: Currency,
    pub opening_minor: i64,
    pub earned_minor: i64,
    pub reversed_minor: i64,
    pub charged_minor: i64,
    /// Set when it closes.
    pub closing_minor: i64,
    pub status: StatementStatus,
    pub payout_reference: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    pub paid_by: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
