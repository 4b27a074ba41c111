//! Prices down the chain: the list price; the partner's cost, which is the list price less the
//! discount staff give that partner (overall, or per product where it differs); and later the
//! customer's price, which the partner sets between its cost and the list price. One rounding
//! rule: the discount is `Money::share_bp`, half to even, per unit price.
use super::{
    money::{Money, MoneyError},
    CommissionRate,
};

/// The discount that applies to a product: its own if staff set one, else the overall one.
pub fn discount_for(overall: CommissionRate, own: Option<CommissionRate>) -> CommissionRate {
    own.unwrap_or(overall)
}

/// The partner's cost of one unit at `list`, `discount` off.
pub fn partner_cost(list: Money, discount: CommissionRate) -> Result<Money, MoneyError> {
    list.checked_sub(list.share_bp(discount.bp())?)
}

/// The partner's cost and the customer's price of one unit at `list`: the customer's discount
/// is what the partner gave it, never deeper than the partner's own (staff may have lowered
/// that since), so the price is never below the cost.
pub fn cost_and_price(
    list: Money,
    partner: CommissionRate,
    customer: CommissionRate,
) -> Result<(Money, Money), MoneyError> {
    let customer = if customer.bp() > partner.bp() {
        partner
    } else {
        customer
    };
    Ok((partner_cost(list, partner)?, partner_cost(list, customer)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    #[test]
    fn the_cost_is_the_list_price_less_the_discount_rounded_half_to_even() {
        let d = |s| CommissionRate::parse(s).unwrap();
        let usd = |m| Money::new(m, Currency::Usd);
        assert_eq!(partner_cost(usd(1250), d("20")).unwrap(), usd(1000));
        // 12.5 % of $0.10 is 1.25 cents: rounds to 1, the cost is 9 cents.
        assert_eq!(partner_cost(usd(10), d("12.5")).unwrap(), usd(9));
        // 15 % of 290,000 VND (no minor unit).
        let vnd = Money::new(290_000, Currency::Vnd);
        assert_eq!(
            partner_cost(vnd, d("15")).unwrap(),
            Money::new(246_500, Currency::Vnd)
        );
        assert_eq!(partner_cost(usd(999), d("0")).unwrap(), usd(999));
        assert_eq!(discount_for(d("10"), Some(d("25"))), d("25"));
        assert_eq!(discount_for(d("10"), None), d("10"));
    }
}
