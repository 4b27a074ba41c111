use sea_orm::entity::prelude::*;

use crate::domain::{grant_limits::GrantRequestStatus, Currency};

/// A grant of promotional credit above the partner's monthly ceiling, held until the provider
/// approves it (then it is in the ledger) or refuses it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_grant_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub partner_id: Uuid,
    pub registration_id: Uuid,
    pub account_id: Uuid,
    pub amount_minor: i64,
    pub currency: Currency,
    pub note: String,
    pub expires_on: Option<Date>,
    /// The partner user who asked.
    pub requested_by: Uuid,
    pub requested_at: DateTimeUtc,
    pub status: GrantRequestStatus,
    /// The staff user who approved or refused it.
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why it was refused.
    pub decision_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
