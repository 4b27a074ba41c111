use sea_orm::entity::prelude::*;

/// One payment attempt's outcome. At most one succeeds per invoice, and a gateway's reference
/// is recorded once (both unique indexes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invoice_id: Uuid,
    /// `test`, `stripe` or `credit`.
    pub gateway: String,
    pub reference: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `succeeded`, `declined` or `mismatch`.
    pub outcome: String,
    pub payer: String,
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
