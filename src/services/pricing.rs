//! Price lists: the discount staff give each partner off the catalog's list prices (overall,
//! and per product where it differs), and the partner's cost that follows. Costs are derived
//! when read, never stored: an order will record the prices of its moment.
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    catalog::{self, CatalogError, CatalogQuery},
    views::Product,
    Core, Fault,
};
use crate::{
    domain::{
        pricing::{discount_for, partner_cost},
        CommissionRate, Money, PartnerId, ProductId,
    },
    entities::{partner_discounts, partners},
};

#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("not found")]
    NotFound,
    #[error("A price is too large to compute.")]
    Overflow,
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(PricingError);

impl From<CatalogError> for PricingError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Fault(f) => Self::Fault(f),
            _ => Self::NotFound,
        }
    }
}

/// The key of a partner's overall discount (a key column cannot be NULL).
const OVERALL: Uuid = Uuid::nil();

/// One product on a partner's price list.
pub struct PriceLine {
    pub product: Product,
    /// The discount that applies, and whether it is the product's own.
    pub discount: CommissionRate,
    pub own: bool,
    /// (list price, the partner's cost) per currency the product is sold in.
    pub prices: Vec<(Money, Money)>,
}

pub struct PriceList {
    pub overall: CommissionRate,
    pub lines: Vec<PriceLine>,
}

/// A partner's price list: every product on sale (and, for staff, the retired ones too).
#[tracing::instrument(skip(core), level = "debug")]
pub async fn price_list(
    core: &Core,
    partner: PartnerId,
    with_retired: bool,
) -> Result<PriceList, PricingError> {
    let rows = partner_discounts::Entity::find()
        .filter(partner_discounts::Column::PartnerId.eq(partner.uuid()))
        .all(&core.db.read)
        .await?;
    let rate = |bp: i32| CommissionRate::from_bp(bp);
    let overall = rows
        .iter()
        .find(|r| r.product_id == OVERALL)
        .map(|r| rate(r.discount_bp))
        .unwrap_or(rate(0));
    let query = CatalogQuery {
        status: if with_retired { "" } else { "active" }.into(),
        ..Default::default()
    };
    let mut lines = Vec::new();
    for product in catalog::list(core, &query).await? {
        let own = rows
            .iter()
            .find(|r| r.product_id == product.id.uuid())
            .map(|r| rate(r.discount_bp));
        let discount = discount_for(overall, own);
        let prices = product
            .prices
            .iter()
            .map(|&list| Ok((list, partner_cost(list, discount)?)))
            .collect::<Result<Vec<_>, crate::domain::money::MoneyError>>()
            .map_err(|_| PricingError::Overflow)?;
        lines.push(PriceLine {
            product,
            discount,
            own: own.is_some(),
            prices,
        });
    }
    Ok(PriceList { overall, lines })
}

/// Sets a partner's discount: overall (`product` None) or for one product; `rate` None
/// removes a product's own discount, so the overall one applies again.
#[tracing::instrument(skip(core, actor))]
pub async fn set_discount(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    product: Option<ProductId>,
    rate: Option<CommissionRate>,
) -> Result<(), PricingError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    partners::Entity::find_by_id(partner.uuid())
        .one(&txn)
        .await?
        .ok_or(PricingError::NotFound)?;
    let what = match product {
        Some(id) => {
            let p = catalog::get(core, id).await?;
            format!("{} {}", p.sku, p.name)
        }
        None => "every product".to_string(),
    };
    let key = product.map(|p| p.uuid()).unwrap_or(OVERALL);
    let detail = match rate {
        Some(rate) => {
            partner_discounts::Entity::insert(partner_discounts::ActiveModel {
                partner_id: Set(partner.uuid()),
                product_id: Set(key),
                discount_bp: Set(rate.bp()),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([
                    partner_discounts::Column::PartnerId,
                    partner_discounts::Column::ProductId,
                ])
                .update_columns([
                    partner_discounts::Column::DiscountBp,
                    partner_discounts::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            format!("{rate} off {what}")
        }
        None => {
            partner_discounts::Entity::delete_many()
                .filter(partner_discounts::Column::PartnerId.eq(partner.uuid()))
                .filter(partner_discounts::Column::ProductId.eq(key))
                .exec(&txn)
                .await?;
            format!("the overall discount applies to {what} again")
        }
    };
    audit::record(
        &txn,
        now,
        actor,
        "price_list.discount_set",
        About::partner(Some(partner.uuid()), product.map(|p| p.uuid())),
        &detail,
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}
