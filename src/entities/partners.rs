use sea_orm::entity::prelude::*;

use crate::domain::Currency;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_name: String,
    pub contact_name: String,
    pub country: String,
    pub phone: String,
    pub active: bool,
    /// Members (not only admins) may Login As the customers' users.
    pub members_login_as: bool,
    /// Every user of the partner must sign in with a second factor (admins always must).
    pub require_two_factor: bool,
    /// Where the provider pays the partner's commission.
    pub payout_holder: Option<String>,
    pub payout_iban: Option<String>,
    pub payout_bic: Option<String>,
    pub payout_updated_at: Option<DateTimeUtc>,
    /// The currency and first month ("2026-01") of the registrations' `paid_12m_minor`;
    /// `None` while they wait to be recomputed.
    pub paid_12m_currency: Option<Currency>,
    pub paid_12m_from: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
