//! A line of a price list, as the partner's and staff's price list pages show it.
use crate::web::urls;
use crate::{
    domain::{Money, PartnerId},
    services::pricing::PriceLine,
};

/// A product's line, as both price list pages show it.
pub struct LineRow {
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub kind: &'static str,
    pub active: bool,
    pub discount: String,
    /// The product's own discount as typed in the form ("12.5").
    pub discount_value: String,
    pub own: bool,
    pub prices: Vec<(Money, Money)>,
    /// Where staff set this product's own discount (their page only).
    pub action: String,
}

impl LineRow {
    /// The line; with `staff_for`, the form that sets its discount for that partner.
    pub fn of(l: PriceLine, staff_for: Option<PartnerId>) -> Self {
        Self {
            action: staff_for
                .map(|p| urls::staff_partner_product_price(p, l.product.id))
                .unwrap_or_default(),
            sku: l.product.sku,
            name: l.product.name,
            unit: l.product.unit,
            kind: l.product.kind.label(),
            active: l.product.active,
            discount: l.discount.to_string(),
            discount_value: l.discount.to_string().trim_end_matches('%').to_string(),
            own: l.own,
            prices: l.prices,
        }
    }
}
