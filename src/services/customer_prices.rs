//! Customer prices: the discount off list price a partner gives one of its customers, overall
//! or per product, never deeper than the partner's own discount (so never below its cost).
//! The customer's price and the partner's margin are derived when read.
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    pricing::{self, PricingError},
    registrations::{self as regs, RegError},
    views::Product,
    Core,
};
use crate::{
    domain::{
        pricing::{discount_for, partner_cost},
        CommissionRate, Money, PartnerId, ProductId, RegistrationId, Status,
    },
    entities::customer_discounts,
};

#[derive(Debug, thiserror::Error)]
pub enum CustomerPriceError {
    #[error("not found")]
    NotFound,
    #[error("Prices can be set for active customers only.")]
    NotActive,
    /// The discount would sell below the partner's cost.
    #[error("{rate} off is below your cost for {sku}: you can give at most {max} off.")]
    BelowCost {
        rate: CommissionRate,
        sku: String,
        max: CommissionRate,
    },
    #[error(transparent)]
    Pricing(#[from] PricingError),
}

impl From<RegError> for CustomerPriceError {
    fn from(e: RegError) -> Self {
        match e {
            RegError::Fault(f) => Self::Pricing(PricingError::Fault(f)),
            _ => Self::NotFound,
        }
    }
}

impl From<sea_orm::DbErr> for CustomerPriceError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Pricing(e.into())
    }
}

/// One product's prices for a customer.
pub struct CustomerLine {
    pub product: Product,
    /// The partner's discount (its cost) and the customer's (its price).
    pub partner_discount: CommissionRate,
    pub customer_discount: CommissionRate,
    /// The customer's discount is this product's own.
    pub own: bool,
    /// (list price, the partner's cost, the customer's price, the partner's margin) per
    /// currency.
    pub prices: Vec<(Money, Money, Money, Money)>,
}

pub struct CustomerPrices {
    pub account: crate::domain::AccountId,
    pub company: String,
    pub status: Status,
    pub overall: CommissionRate,
    pub lines: Vec<CustomerLine>,
}

const OVERALL: Uuid = Uuid::nil();

/// The prices of one of the partner's customers (another partner's registration: not found).
#[tracing::instrument(skip(core), level = "debug")]
pub async fn customer_prices(
    core: &Core,
    partner: PartnerId,
    id: RegistrationId,
) -> Result<CustomerPrices, CustomerPriceError> {
    let c = regs::customer(core, partner, id).await?;
    let (overall, lines) = lines_for(core, partner, id).await?;
    Ok(CustomerPrices {
        account: c.account.id,
        company: c.account.company_name,
        status: c.registration.status,
        overall,
        lines,
    })
}

/// The customer's overall discount and its price for every product on sale, for a
/// registration the caller has checked belongs to `partner`.
pub async fn lines_for(
    core: &Core,
    partner: PartnerId,
    id: RegistrationId,
) -> Result<(CommissionRate, Vec<CustomerLine>), CustomerPriceError> {
    let list = pricing::price_list(core, partner, false).await?;
    let rows = customer_discounts::Entity::find()
        .filter(customer_discounts::Column::RegistrationId.eq(id.uuid()))
        .all(&core.db.read)
        .await?;
    let overall = rows
        .iter()
        .find(|r| r.product_id == OVERALL)
        .map(|r| CommissionRate::from_bp(r.discount_bp))
        .unwrap_or(CommissionRate::from_bp(0));
    let mut lines = Vec::new();
    for l in list.lines {
        let own = rows
            .iter()
            .find(|r| r.product_id == l.product.id.uuid())
            .map(|r| CommissionRate::from_bp(r.discount_bp));
        // Never deeper than the partner's discount, even if staff lowered it since.
        let wanted = discount_for(overall, own);
        let customer_discount = if wanted.bp() > l.discount.bp() {
            l.discount
        } else {
            wanted
        };
        let prices = l
            .prices
            .iter()
            .map(|&(list, cost)| {
                let price = partner_cost(list, customer_discount)?;
                Ok((list, cost, price, price.checked_sub(cost)?))
            })
            .collect::<Result<Vec<_>, crate::domain::money::MoneyError>>()
            .map_err(|_| PricingError::Overflow)?;
        lines.push(CustomerLine {
            product: l.product,
            partner_discount: l.discount,
            customer_discount,
            own: own.is_some(),
            prices,
        });
    }
    Ok((overall, lines))
}

/// Sets a customer's discount: for every product (`product` None) or one; `rate` None clears
/// a product's own discount. Refused when it would sell any product concerned below cost.
#[tracing::instrument(skip(core, actor))]
pub async fn set_customer_discount(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    id: RegistrationId,
    product: Option<ProductId>,
    rate: Option<CommissionRate>,
) -> Result<(), CustomerPriceError> {
    let current = customer_prices(core, partner, id).await?;
    if current.status != Status::Active {
        return Err(CustomerPriceError::NotActive);
    }
    let concerned: Vec<&CustomerLine> = current
        .lines
        .iter()
        .filter(|l| product.is_none_or(|p| p == l.product.id))
        .collect();
    if product.is_some() && concerned.is_empty() {
        return Err(CustomerPriceError::NotFound);
    }
    if let Some(rate) = rate {
        // A product's own discount overrides the overall one, so the overall one is checked
        // only against the products without their own.
        for l in concerned.iter().filter(|l| product.is_some() || !l.own) {
            if rate.bp() > l.partner_discount.bp() {
                return Err(CustomerPriceError::BelowCost {
                    rate,
                    sku: l.product.sku.clone(),
                    max: l.partner_discount,
                });
            }
        }
    }
    let now = core.now();
    let key = product.map(|p| p.uuid()).unwrap_or(OVERALL);
    let what = match concerned.first() {
        Some(l) if product.is_some() => format!("{} {}", l.product.sku, l.product.name),
        _ => "every product".to_string(),
    };
    let txn = core.db.begin().await?;
    let detail = match rate {
        Some(rate) => {
            customer_discounts::Entity::insert(customer_discounts::ActiveModel {
                registration_id: Set(id.uuid()),
                product_id: Set(key),
                discount_bp: Set(rate.bp()),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([
                    customer_discounts::Column::RegistrationId,
                    customer_discounts::Column::ProductId,
                ])
                .update_columns([
                    customer_discounts::Column::DiscountBp,
                    customer_discounts::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            format!("{rate} off {what} for {}", current.company)
        }
        None => {
            customer_discounts::Entity::delete_many()
                .filter(customer_discounts::Column::RegistrationId.eq(id.uuid()))
                .filter(customer_discounts::Column::ProductId.eq(key))
                .exec(&txn)
                .await?;
            format!("the customer's overall discount applies to {what} again")
        }
    };
    audit::record(
        &txn,
        now,
        actor,
        "customer_price.discount_set",
        About::registration(partner.uuid(), current.account.uuid(), id.uuid()),
        &detail,
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}
