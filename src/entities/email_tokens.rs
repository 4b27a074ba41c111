use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 of the token; the token itself exists only in the email.
    pub token_hash: String,
    pub purpose: String,
    pub email: String,
    pub user_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    /// The record the link acts on (a registration for confirmation links).
    pub subject_id: Option<Uuid>,
    pub role: Option<String>,
    /// The customer account an invitation is for.
    pub account_id: Option<Uuid>,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
