use sea_orm::entity::prelude::*;

use crate::domain::{CreditKind, Currency};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_ledger")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: CreditKind,
    /// Signed, in minor units of `currency`.
    pub amount_minor: i64,
    pub currency: Currency,
    pub note: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// The partner whose customer it is (a grant the partner funds, a top-up it sold).
    pub partner_id: Option<Uuid>,
    /// The invoice the entry paid (a spend), bought (a top-up) or corrected (a credit note).
    pub invoice_id: Option<Uuid>,
    /// When the credit of a grant or top-up lapses, if it does.
    pub expires_on: Option<Date>,
    /// On an expiry entry: the grant or top-up whose rest it expired.
    pub lot_id: Option<Uuid>,
    /// Who made the entry, as shown ("Nora West (Northwind)", "system").
    pub actor_label: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
