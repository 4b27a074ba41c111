use sea_orm::entity::prelude::*;

use crate::domain::{Role, UserKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Lower-cased; unique.
    pub email: String,
    pub name: String,
    /// Never serialized: the signed-in user travels through the session state (see
    /// `auth::session_store`) without it.
    #[serde(skip)]
    pub password_hash: String,
    pub kind: UserKind,
    pub partner_id: Option<Uuid>,
    /// For customer users: their account.
    pub account_id: Option<Uuid>,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub last_sign_in_at: Option<DateTimeUtc>,
    /// The TOTP secret (base32), once two-factor sign-in is turned on. Never serialized.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<DateTimeUtc>,
    /// The time step of the last code accepted: a code for it or an earlier one is refused
    /// (a code works once).
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::partners::Entity",
        from = "Column::PartnerId",
        to = "super::partners::Column::Id"
    )]
    Partner,
}

impl Related<super::partners::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Partner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
