use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// SHA-256 of the cookie's session key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_hash: String,
    pub user_id: Option<Uuid>,
    pub state: String,
    pub expires_at: DateTimeUtc,
    /// The id the user's security page names the session by (never the key's hash).
    pub id: Option<Uuid>,
    pub created_at: Option<DateTimeUtc>,
    pub last_seen_at: Option<DateTimeUtc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id"
    )]
    User,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
