use sea_orm::entity::prelude::*;

use crate::domain::{Channel, CustomerType, Status};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub partner_id: Uuid,
    pub account_id: Uuid,
    pub friendly_name: String,
    pub partner_role: String,
    pub customer_type: CustomerType,
    /// Basis points (1250 = 12.5 %).
    pub commission_bp: i32,
    pub management_mode: bool,
    pub status: Status,
    /// The partner registered a new account (rather than linking an existing one).
    pub new_account: bool,
    pub created_via: Channel,
    pub created_by_label: String,
    /// Why it was declined, rejected or ended.
    pub reason: Option<String>,
    /// When the pending customer confirmation lapses.
    pub expires_at: Option<DateTimeUtc>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub activated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Seats over the active licenses, and how many are given to users (Usage).
    pub seats_licensed: i32,
    pub seats_assigned: i32,
    /// `seats_assigned / seats_licensed` in basis points; -1 with no seats.
    pub usage_bp: i32,
    /// The earliest end among active licenses and trials; `order::NO_EXPIRY` with none.
    pub next_expiry: Date,
    /// Paid revenue over the last 12 months in the partner's `paid_12m_currency` (minor
    /// units), kept by the payments' transactions and recomputed when the window moves.
    pub paid_12m_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::accounts::Entity",
        from = "Column::AccountId",
        to = "super::accounts::Column::Id"
    )]
    Account,
    #[sea_orm(
        belongs_to = "super::partners::Entity",
        from = "Column::PartnerId",
        to = "super::partners::Column::Id"
    )]
    Partner,
}

impl Related<super::accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl Related<super::partners::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Partner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
