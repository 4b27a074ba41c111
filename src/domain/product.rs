//! The catalog's products: what kind each is (a subscription billed monthly or yearly, or a
//! one-off purchase), its SKU, the quantities it can be ordered in and its trial length. List
//! prices are `Money`, one per currency.
use sea_orm::{DeriveActiveEnum, EnumIter};

use super::{
    money::{Currency, Money, CURRENCIES},
    Invalid, PlainName,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ProductKind {
    #[sea_orm(string_value = "monthly")]
    Monthly,
    #[sea_orm(string_value = "yearly")]
    Yearly,
    #[sea_orm(string_value = "one_off")]
    OneOff,
}

pub const PRODUCT_KINDS: [ProductKind; 3] = [
    ProductKind::Monthly,
    ProductKind::Yearly,
    ProductKind::OneOff,
];

impl ProductKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Yearly => "yearly",
            Self::OneOff => "one_off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Monthly => "Subscription, billed monthly",
            Self::Yearly => "Subscription, billed yearly",
            Self::OneOff => "One-off purchase",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        PRODUCT_KINDS
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Invalid::new("Choose monthly, yearly or one_off."))
    }

    /// A subscription makes a license with a term; a one-off purchase does not.
    pub fn is_subscription(self) -> bool {
        !matches!(self, Self::OneOff)
    }
}

/// A stock-keeping unit: 2 to 32 letters, digits, `-` or `_`, kept in capitals so "bk-100"
/// and "BK-100" are the same product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_ascii_uppercase();
        let ok = (2..=32).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(s))
        } else {
            Err(Invalid::new(
                "Use 2 to 32 letters, digits, hyphens or underscores, like BK-100.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// "1 seat", "10 seats", "10 GB": a quantity in the product's unit, plural where a word
/// takes one (an abbreviation in capitals or a word ending in "s" stays as it is).
pub fn quantity_of(n: u32, unit: &str) -> String {
    let plain = !unit.is_empty()
        && unit.chars().any(|c| c.is_ascii_lowercase())
        && !unit.ends_with('s')
        && !unit.contains(' ');
    if n != 1 && plain {
        format!("{n} {unit}s")
    } else {
        format!("{n} {unit}")
    }
}

/// The most of anything one order line can hold.
pub const MAX_QUANTITY: u32 = 100_000;

/// How many units one order may hold: at least `min`, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantityBounds {
    pub min: u32,
    pub max: u32,
}

/// Which bound a refusal is about, to put the message next to its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Min,
    Max,
}

impl QuantityBounds {
    pub fn contains(self, quantity: u32) -> bool {
        (self.min..=self.max).contains(&quantity)
    }

    pub fn parse(min: &str, max: &str) -> Result<Self, (Bound, Invalid)> {
        let whole = |raw: &str, bound| {
            raw.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_QUANTITY).contains(n))
                .ok_or((
                    bound,
                    Invalid::new(format!("Enter a whole number from 1 to {MAX_QUANTITY}.")),
                ))
        };
        let (min, max) = (whole(min, Bound::Min)?, whole(max, Bound::Max)?);
        if max < min {
            return Err((
                Bound::Max,
                Invalid::new("The maximum cannot be below the minimum."),
            ));
        }
        Ok(Self { min, max })
    }

    pub fn allows(self, quantity: u32) -> bool {
        (self.min..=self.max).contains(&quantity)
    }
}

/// The longest free trial a product can offer.
pub const MAX_TRIAL_DAYS: u16 = 90;

/// Days of free trial: 0 (none) to `MAX_TRIAL_DAYS`.
pub fn parse_trial_days(raw: &str) -> Result<u16, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<u16>()
        .ok()
        .filter(|d| *d <= MAX_TRIAL_DAYS)
        .ok_or_else(|| {
            Invalid::new(format!(
                "Enter a number of days from 0 (no trial) to {MAX_TRIAL_DAYS}."
            ))
        })
}

/// The fields of a product, as the catalog form and the CSV import name them. Prices are one
/// field per currency (`price_usd`…): empty means no price in that currency.
pub const PRODUCT_FIELDS: [&str; 8] = [
    "sku",
    "name",
    "unit",
    "kind",
    "trial_days",
    "min_quantity",
    "max_quantity",
    "description",
];

/// The field of a currency's list price: `price_usd`…
pub fn price_field(c: Currency) -> String {
    format!("price_{}", c.code().to_ascii_lowercase())
}

/// A product as staff describe it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInput {
    pub sku: Sku,
    pub name: PlainName,
    pub description: String,
    pub unit: String,
    pub kind: ProductKind,
    pub trial_days: u16,
    pub bounds: QuantityBounds,
    /// At least one; one per currency.
    pub prices: Vec<Money>,
}

impl ProductInput {
    /// Checks every field that `get` gives by name (`PRODUCT_FIELDS` and the price fields);
    /// on failure, every field's problem with the field's name.
    pub fn parse(get: impl Fn(&str) -> String) -> Result<Self, Vec<(String, Invalid)>> {
        let mut errors: Vec<(String, Invalid)> = Vec::new();
        let mut check = |field: &str, r: Result<(), Invalid>| {
            if let Err(e) = r {
                errors.push((field.to_string(), e));
            }
        };
        let sku = Sku::parse(&get("sku"));
        let name = PlainName::parse(&get("name"), "product name");
        let unit_raw = get("unit");
        let unit = match unit_raw.trim() {
            "" => Err(Invalid::new("Enter what one unit is: seat, GB, license…")),
            u if u.chars().count() > 32 || u.chars().any(char::is_control) => {
                Err(Invalid::new("Use at most 32 characters."))
            }
            u => Ok(u.to_string()),
        };
        let description = get("description").trim().to_string();
        let description_ok = if description.chars().count() > 2000 {
            Err(Invalid::new("Use at most 2,000 characters."))
        } else {
            Ok(())
        };
        let kind = ProductKind::parse(&get("kind"));
        let trial_days = parse_trial_days(&get("trial_days"));
        let bounds = QuantityBounds::parse(&get("min_quantity"), &get("max_quantity"));
        let mut prices = Vec::new();
        let mut price_refused = false;
        for c in CURRENCIES {
            let field = price_field(c);
            let raw = get(&field);
            if raw.trim().is_empty() {
                continue;
            }
            match Money::parse(&raw, c) {
                Ok(m) if m.is_negative() => {
                    price_refused = true;
                    check(&field, Err(Invalid::new("A price cannot be negative.")))
                }
                Ok(m) => prices.push(m),
                Err(e) => {
                    price_refused = true;
                    check(&field, Err(e))
                }
            }
        }
        check("sku", sku.as_ref().map(|_| ()).map_err(Clone::clone));
        check("name", name.as_ref().map(|_| ()).map_err(Clone::clone));
        check("unit", unit.as_ref().map(|_| ()).map_err(Clone::clone));
        check("description", description_ok);
        check("kind", kind.as_ref().map(|_| ()).map_err(Clone::clone));
        check(
            "trial_days",
            trial_days.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        if let Err((bound, e)) = &bounds {
            let field = match bound {
                Bound::Min => "min_quantity",
                Bound::Max => "max_quantity",
            };
            check(field, Err(e.clone()));
        }
        if prices.is_empty() && !price_refused {
            check(
                &price_field(Currency::Usd),
                Err(Invalid::new("Give a list price in at least one currency.")),
            );
        }
        match (sku, name, unit, kind, trial_days, bounds) {
            (Ok(sku), Ok(name), Ok(unit), Ok(kind), Ok(trial_days), Ok(bounds))
                if errors.is_empty() =>
            {
                Ok(Self {
                    sku,
                    name,
                    description,
                    unit,
                    kind,
                    trial_days,
                    bounds,
                    prices,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_as_people_write_them() {
        assert_eq!(quantity_of(1, "seat"), "1 seat");
        assert_eq!(quantity_of(10, "seat"), "10 seats");
        assert_eq!(quantity_of(10, "GB"), "10 GB");
        assert_eq!(quantity_of(2, "licenses"), "2 licenses");
    }

    #[test]
    fn skus_are_capitals_of_a_safe_alphabet() {
        assert_eq!(Sku::parse(" bk-100 ").unwrap().as_str(), "BK-100");
        assert!(Sku::parse("A").is_err());
        assert!(Sku::parse("BK 100").is_err());
        assert!(Sku::parse(&"X".repeat(33)).is_err());
    }

    #[test]
    fn quantity_bounds_name_the_bound_that_is_wrong() {
        assert_eq!(
            QuantityBounds::parse("1", "500").unwrap(),
            QuantityBounds { min: 1, max: 500 }
        );
        assert_eq!(QuantityBounds::parse("0", "5").unwrap_err().0, Bound::Min);
        assert_eq!(QuantityBounds::parse("5", "4").unwrap_err().0, Bound::Max);
        assert_eq!(QuantityBounds::parse("1", "x").unwrap_err().0, Bound::Max);
        assert!(QuantityBounds { min: 5, max: 10 }.allows(5));
        assert!(!QuantityBounds { min: 5, max: 10 }.allows(11));
    }

    fn form<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> String + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        }
    }

    #[test]
    fn a_product_needs_a_price_and_names_every_bad_field() {
        let good = [
            ("sku", "bk-100"),
            ("name", "Backup 100 GB"),
            ("unit", "GB"),
            ("kind", "monthly"),
            ("trial_days", "30"),
            ("min_quantity", "1"),
            ("max_quantity", "500"),
            ("price_usd", "12.50"),
            ("price_vnd", "290000"),
        ];
        let p = ProductInput::parse(form(&good)).unwrap();
        assert_eq!(p.sku.as_str(), "BK-100");
        assert_eq!(
            p.prices,
            [
                Money::new(1250, Currency::Usd),
                Money::new(290_000, Currency::Vnd)
            ]
        );
        let errors = ProductInput::parse(form(&[
            ("sku", "x"),
            ("kind", "weekly"),
            ("min_quantity", "5"),
            ("max_quantity", "2"),
            ("price_vnd", "10.5"),
        ]))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        for f in ["sku", "name", "unit", "kind", "max_quantity", "price_vnd"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let no_price = ProductInput::parse(form(&good[..7])).unwrap_err();
        assert_eq!(no_price[0].0, "price_usd");
    }

    #[test]
    fn kinds_and_trials_parse_what_people_type() {
        assert_eq!(ProductKind::parse("One-off").unwrap(), ProductKind::OneOff);
        assert_eq!(ProductKind::parse("MONTHLY").unwrap(), ProductKind::Monthly);
        assert!(ProductKind::parse("weekly").is_err());
        assert_eq!(parse_trial_days("").unwrap(), 0);
        assert_eq!(parse_trial_days("30").unwrap(), 30);
        assert!(parse_trial_days("91").is_err());
        assert!(parse_trial_days("-1").is_err());
    }
}
