//! Staff's tax rates by country, applied per line when an invoice is issued.
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, EntityTrait, QueryOrder};

use super::super::{
    audit::{self, About, Actor},
    Core,
};
use crate::entities::tax_rates;

use super::*;

/// Staff's tax rate for a country (`None` removes it: 0 %).
#[tracing::instrument(skip(core, actor))]
pub async fn set_tax_rate(
    core: &Core,
    actor: &Actor,
    country: &crate::domain::CountryCode,
    rate_bp: Option<i32>,
) -> Result<(), InvoiceError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let detail = match rate_bp {
        Some(bp) => {
            tax_rates::Entity::insert(tax_rates::ActiveModel {
                country: Set(country.as_str().to_string()),
                rate_bp: Set(bp),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::column(tax_rates::Column::Country)
                    .update_columns([tax_rates::Column::RateBp, tax_rates::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            format!(
                "{}: {} on new invoices",
                country.as_str(),
                crate::domain::CommissionRate::from_bp(bp)
            )
        }
        None => {
            tax_rates::Entity::delete_by_id(country.as_str().to_string())
                .exec(&txn)
                .await?;
            format!("{}: no tax on new invoices", country.as_str())
        }
    };
    audit::record(&txn, now, actor, "tax_rate.set", About::default(), &detail).await?;
    core.commit(txn).await?;
    Ok(())
}

/// Every tax rate, by country.
pub async fn tax_rates(core: &Core) -> Result<Vec<(String, i32)>, InvoiceError> {
    Ok(tax_rates::Entity::find()
        .order_by_asc(tax_rates::Column::Country)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|r| (r.country, r.rate_bp))
        .collect())
}
