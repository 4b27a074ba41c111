//! Orders, licenses and trials: terms and their end dates, the states a license goes through,
//! what an order charges, Usage and the order number as people read it.
use chrono::{Duration, Months, NaiveDate};
use sea_orm::{DeriveActiveEnum, EnumIter};

use super::{product::ProductKind, Invalid, Money};

/// How long one paid term lasts, or a trial's. Stored as text; a value the code does not
/// know is an error when read, never a default (so are the other enums here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Term {
    #[sea_orm(string_value = "monthly")]
    Monthly,
    #[sea_orm(string_value = "yearly")]
    Yearly,
    /// A one-off purchase: no license, no term.
    #[sea_orm(string_value = "one_off")]
    OneOff,
    #[sea_orm(string_value = "trial")]
    Trial,
}

impl Term {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Yearly => "yearly",
            Self::OneOff => "one_off",
            Self::Trial => "trial",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Monthly => "Monthly",
            Self::Yearly => "Yearly",
            Self::OneOff => "One-off",
            Self::Trial => "Trial",
        }
    }

    /// The terms a product can be ordered on: a monthly subscription may also be paid a year
    /// at a time (twelve months' price); a yearly one only yearly.
    pub fn offered(kind: ProductKind) -> &'static [Term] {
        match kind {
            ProductKind::Monthly => &[Term::Monthly, Term::Yearly],
            ProductKind::Yearly => &[Term::Yearly],
            ProductKind::OneOff => &[Term::OneOff],
        }
    }

    /// Reads the term a form or the API chose for a product (empty: the product's own).
    pub fn parse_for(raw: &str, kind: ProductKind) -> Result<Self, Invalid> {
        let offered = Self::offered(kind);
        let s = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        if s.is_empty() {
            return Ok(offered[0]);
        }
        offered
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = offered.iter().map(|t| t.as_str()).collect();
                Invalid::new(format!(
                    "This product is ordered {}.",
                    names.join(" or ").replace('_', "-")
                ))
            })
    }

    /// How many of the product's price periods one term holds (a monthly product paid yearly:
    /// 12).
    pub fn periods(self, kind: ProductKind) -> u32 {
        match (self, kind) {
            (Self::Yearly, ProductKind::Monthly) => 12,
            _ => 1,
        }
    }

    /// The end of a term that starts on `start` (the day it stops; a month from 31 January
    /// ends on the last day of February). A trial's length is given in days.
    pub fn end(self, start: NaiveDate, trial_days: u16) -> NaiveDate {
        match self {
            Self::Monthly => start.checked_add_months(Months::new(1)),
            Self::Yearly => start.checked_add_months(Months::new(12)),
            Self::Trial => start.checked_add_signed(Duration::days(i64::from(trial_days))),
            Self::OneOff => Some(start),
        }
        .unwrap_or(NaiveDate::MAX)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum OrderKind {
    /// A product bought: a license when it is a subscription.
    #[sea_orm(string_value = "new")]
    New,
    /// A license's seats changed.
    #[sea_orm(string_value = "seats")]
    Seats,
    /// A trial turned into a paid license.
    #[sea_orm(string_value = "conversion")]
    Conversion,
    /// The next term of an auto-renewing license, billed before it starts.
    #[sea_orm(string_value = "renewal")]
    Renewal,
}

/// An order stands (placed) until it is cancelled in its grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum OrderStatus {
    #[sea_orm(string_value = "placed")]
    Placed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Placed => "Placed",
            Self::Cancelled => "Cancelled",
        }
    }
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Seats => "seats",
            Self::Conversion => "conversion",
            Self::Renewal => "renewal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Seats => "Seat change",
            Self::Conversion => "Trial converted",
            Self::Renewal => "Renewal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum LicenseStatus {
    #[sea_orm(string_value = "active")]
    Active,
    /// Its order was cancelled in the grace period.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Its term ended without renewal (or the trial ran out).
    #[sea_orm(string_value = "expired")]
    Expired,
    /// A trial that became a paid license.
    #[sea_orm(string_value = "converted")]
    Converted,
}

impl LicenseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Converted => "converted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Cancelled => "Cancelled",
            Self::Expired => "Expired",
            Self::Converted => "Converted",
        }
    }
}

/// "No expiry" in `registrations.next_expiry`: sorts after every real date.
pub fn no_expiry() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date")
}

/// The order number as people read it.
pub fn order_number(n: i64) -> String {
    format!("ORD-{n:06}")
}

/// Reads "ORD-000123" or "123".
pub fn parse_order_number(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let digits = s
        .strip_prefix("ORD-")
        .or_else(|| s.strip_prefix("ord-"))
        .unwrap_or(s);
    digits.parse().ok().filter(|n| *n > 0)
}

/// Usage in basis points (assigned / licensed, rounded down); -1 with no seats licensed.
pub fn usage_bp(assigned: i32, licensed: i32) -> i32 {
    if licensed <= 0 {
        -1
    } else {
        (i64::from(assigned.max(0)) * 10_000 / i64::from(licensed)) as i32
    }
}

/// Reads a quantity typed in a form.
pub fn parse_quantity(raw: &str) -> Result<u32, Invalid> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| Invalid::new("Enter a whole number of at least 1."))
}

/// Reads a start date (YYYY-MM-DD), which may be today or up to a year ahead, never past.
pub fn parse_start(raw: &str, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(today);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| Invalid::new("Enter a date as YYYY-MM-DD."))?;
    if d < today {
        return Err(Invalid::new("The start date cannot be in the past."));
    }
    if d > today + Duration::days(365) {
        return Err(Invalid::new("Start within a year from today."));
    }
    Ok(d)
}

/// What one order charges: the units billed times the unit price, over `periods` price
/// periods.
pub fn charge(unit: Money, billed: u32, periods: u32) -> Result<Money, super::money::MoneyError> {
    unit.times(billed)?.times(periods)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn terms_end_a_month_a_year_or_the_trial_days_later() {
        assert_eq!(Term::Monthly.end(d("2026-01-31"), 0), d("2026-02-28"));
        assert_eq!(Term::Monthly.end(d("2026-12-03"), 0), d("2027-01-03"));
        assert_eq!(Term::Yearly.end(d("2028-02-29"), 0), d("2029-02-28"));
        assert_eq!(Term::Trial.end(d("2026-12-03"), 30), d("2027-01-02"));
    }

    #[test]
    fn a_monthly_product_may_be_paid_yearly_at_twelve_months() {
        assert_eq!(
            Term::parse_for("", ProductKind::Monthly).unwrap(),
            Term::Monthly
        );
        assert_eq!(
            Term::parse_for("Yearly", ProductKind::Monthly).unwrap(),
            Term::Yearly
        );
        assert_eq!(Term::Yearly.periods(ProductKind::Monthly), 12);
        assert_eq!(Term::Yearly.periods(ProductKind::Yearly), 1);
        assert!(Term::parse_for("monthly", ProductKind::Yearly).is_err());
        assert!(Term::parse_for("monthly", ProductKind::OneOff).is_err());
        let unit = Money::new(1_250, Currency::Usd);
        assert_eq!(
            charge(unit, 10, 12).unwrap(),
            Money::new(150_000, Currency::Usd)
        );
    }

    #[test]
    fn usage_rounds_down_and_has_no_value_without_seats() {
        assert_eq!(usage_bp(3, 10), 3_000);
        assert_eq!(usage_bp(1, 3), 3_333);
        assert_eq!(usage_bp(0, 0), -1);
    }

    #[test]
    fn start_dates_are_today_up_to_a_year_ahead() {
        let today = d("2026-12-03");
        assert_eq!(parse_start("", today).unwrap(), today);
        assert!(parse_start("2026-12-02", today).is_err());
        assert!(parse_start("2027-12-04", today).is_err());
        assert!(parse_start("03/12/2026", today).is_err());
        assert_eq!(parse_order_number("ORD-000042"), Some(42));
        assert_eq!(order_number(42), "ORD-000042");
    }
}
