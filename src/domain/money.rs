//! Money: integer minor units of one ISO 4217 currency. Arithmetic is checked (a sum of two
//! currencies or an overflow is an error, never a wrong number), rates are basis points and
//! there is one rounding rule, half to even, applied per amount.
use std::fmt;

use sea_orm::{DeriveActiveEnum, EnumIter};

use super::Invalid;

/// The currencies the portal prices and credits in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    #[sea_orm(string_value = "USD")]
    Usd,
    #[sea_orm(string_value = "EUR")]
    Eur,
    #[sea_orm(string_value = "GBP")]
    Gbp,
    #[sea_orm(string_value = "JPY")]
    Jpy,
    #[sea_orm(string_value = "VND")]
    Vnd,
}

pub const CURRENCIES: [Currency; 5] = [
    Currency::Usd,
    Currency::Eur,
    Currency::Gbp,
    Currency::Jpy,
    Currency::Vnd,
];

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Self::Usd => "USD",
            Self::Eur => "EUR",
            Self::Gbp => "GBP",
            Self::Jpy => "JPY",
            Self::Vnd => "VND",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        CURRENCIES
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| {
                let codes: Vec<_> = CURRENCIES.iter().map(|c| c.code()).collect();
                Invalid::new(format!("Choose one of {}.", codes.join(", ")))
            })
    }

    /// Digits after the decimal point (ISO 4217): none for JPY and VND.
    pub fn decimals(self) -> u32 {
        match self {
            Self::Jpy | Self::Vnd => 0,
            _ => 2,
        }
    }

    /// The symbol people expect before the amount, if it has a common one.
    fn symbol(self) -> Option<&'static str> {
        match self {
            Self::Usd => Some("$"),
            Self::Eur => Some("€"),
            Self::Gbp => Some("£"),
            Self::Jpy => Some("¥"),
            Self::Vnd => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a sum could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amounts in {0} and {1} cannot be added")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is too large")]
    Overflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.checked_add(other.checked_neg()?)
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// The amount with a positive sign.
    pub fn abs(self) -> Result<Money, MoneyError> {
        if self.minor < 0 {
            self.checked_neg()
        } else {
            Ok(self)
        }
    }

    /// `quantity` times the amount (a line of several units).
    pub fn times(self, quantity: u32) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(i64::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// The part `num / den` of the amount (days left of a term's days, say), rounded half to
    /// even like every share. `den` must be positive; `num` is clamped to `0..=den`.
    pub fn part(self, num: i64, den: i64) -> Result<Money, MoneyError> {
        if den <= 0 {
            return Err(MoneyError::Overflow);
        }
        let num = num.clamp(0, den);
        let minor = div_half_even(i128::from(self.minor) * i128::from(num), i128::from(den));
        i64::try_from(minor)
            .map(|m| Money::new(m, self.currency))
            .map_err(|_| MoneyError::Overflow)
    }

    /// `bp` basis points of the amount (1 % = 100 bp), rounded half to even: the portal's one
    /// rounding rule, applied once per amount (per invoice line, per commission entry).
    pub fn share_bp(self, bp: i32) -> Result<Money, MoneyError> {
        let product = i128::from(self.minor) * i128::from(bp);
        let minor = div_half_even(product, 10_000);
        let minor = i64::try_from(minor).map_err(|_| MoneyError::Overflow)?;
        Ok(Self::new(minor, self.currency))
    }

    /// Sums amounts of one currency; `None` for an empty list.
    pub fn sum(amounts: impl IntoIterator<Item = Money>) -> Result<Option<Money>, MoneyError> {
        let mut total: Option<Money> = None;
        for m in amounts {
            total = Some(match total {
                None => m,
                Some(t) => t.checked_add(m)?,
            });
        }
        Ok(total)
    }

    /// The one parser for an amount a person types (prices, credits, top-ups, paying from
    /// credit): digits with a point before the decimals ("1234.56"), optionally grouped by
    /// commas between thousands ("1,234.56"), an optional leading minus, at most as many
    /// decimals as the currency has. A comma anywhere else ("0,50", "4,5", "1,00") is a
    /// decimal comma in many countries: refused with the expected form, never guessed.
    pub fn parse(raw: &str, currency: Currency) -> Result<Money, Invalid> {
        let decimals = currency.decimals();
        let example = if decimals == 0 {
            "1,250 or 1250".to_string()
        } else {
            "1,250.50 or 1250.50".to_string()
        };
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::new(format!("Enter an amount, like {example}.")));
        }
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if frac.is_some_and(|f| f.contains(',')) || (whole.contains(',') && !grouped(whole)) {
            return Err(Invalid::new(format!(
                "\"{}\" is not clear: write decimals with a point and use commas only \
                 between thousands, like {example}.",
                raw.trim()
            )));
        }
        let whole = whole.replace(',', "");
        if !digits(&whole) || frac.is_some_and(|f| !digits(f)) {
            return Err(Invalid::new(format!("Enter an amount, like {example}.")));
        }
        let frac = frac.unwrap_or("");
        if frac.len() > decimals as usize {
            return Err(Invalid::new(if decimals == 0 {
                format!("{currency} has no decimals: enter a whole amount, like {example}.")
            } else {
                format!("{currency} has at most {decimals} decimals, like {example}.")
            }));
        }
        let too_large = || Invalid::new("The amount is too large.");
        if whole.len() > 12 {
            return Err(too_large());
        }
        let unit = 10i64.pow(decimals);
        let whole = whole.parse::<i64>().map_err(|_| too_large())?;
        let frac = if decimals == 0 {
            0
        } else {
            format!("{frac:0<width$}", width = decimals as usize)
                .parse::<i64>()
                .map_err(|_| too_large())?
        };
        let v = whole * unit + frac;
        Ok(Self::new(if neg { -v } else { v }, currency))
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

/// Digits grouped by commas between thousands: "1,234", "12,345,678" (one to three digits,
/// then groups of exactly three).
fn grouped(whole: &str) -> bool {
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// `n / d` rounded to the nearest integer, ties to the even one (banker's rounding).
fn div_half_even(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    let twice = r.abs() * 2;
    if twice > d.abs() || (twice == d.abs() && q % 2 != 0) {
        q + n.signum() * d.signum()
    } else {
        q
    }
}

/// "$1,250.00", "€12.00", "-£3.50", "¥1,000", "1,000 VND": the one way money is shown.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = self.currency.decimals();
        let abs = self.minor.unsigned_abs();
        let unit = 10u64.pow(decimals);
        let sign = if self.minor < 0 { "-" } else { "" };
        let symbol = self.currency.symbol();
        write!(f, "{sign}{}", symbol.unwrap_or(""))?;
        write_grouped(f, abs / unit)?;
        if decimals > 0 {
            write!(f, ".{:0width$}", abs % unit, width = decimals as usize)?;
        }
        if symbol.is_none() {
            write!(f, " {}", self.currency)?;
        }
        Ok(())
    }
}

impl Money {
    /// The amount as a form shows it for editing: no symbol, no grouping ("1250.00", "290000"),
    /// which `Money::parse` reads back to the same amount.
    pub fn amount_text(self) -> String {
        let decimals = self.currency.decimals();
        let unit = 10u64.pow(decimals);
        let abs = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if decimals == 0 {
            format!("{sign}{abs}")
        } else {
            format!(
                "{sign}{}.{:0width$}",
                abs / unit,
                abs % unit,
                width = decimals as usize
            )
        }
    }
}

fn write_grouped(f: &mut fmt::Formatter<'_>, n: u64) -> fmt::Result {
    let s = n.to_string();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            f.write_str(",")?;
        }
        write!(f, "{c}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editable_amount_reads_back_to_the_same_money() {
        for m in [
            Money::new(125_000, Currency::Usd),
            Money::new(5, Currency::Eur),
            Money::new(290_000, Currency::Vnd),
            Money::new(-1999, Currency::Gbp),
        ] {
            assert_eq!(Money::parse(&m.amount_text(), m.currency).unwrap(), m);
        }
        assert_eq!(Money::new(125_000, Currency::Usd).amount_text(), "1250.00");
    }
    use Currency::*;

    fn m(minor: i64, c: Currency) -> Money {
        Money::new(minor, c)
    }

    #[test]
    fn amounts_are_formatted_for_people() {
        assert_eq!(m(25_000, Usd).to_string(), "$250.00");
        assert_eq!(m(123_456_789, Eur).to_string(), "€1,234,567.89");
        assert_eq!(m(-350, Gbp).to_string(), "-£3.50");
        assert_eq!(m(1000, Jpy).to_string(), "¥1,000");
        assert_eq!(m(25_000_000, Vnd).to_string(), "25,000,000 VND");
        assert_eq!(m(5, Usd).to_string(), "$0.05");
    }

    #[test]
    fn amounts_parse_to_minor_units_of_their_currency() {
        assert_eq!(Money::parse("250", Usd).unwrap(), m(25_000, Usd));
        assert_eq!(Money::parse("1,250.5", Eur).unwrap(), m(125_050, Eur));
        assert_eq!(Money::parse("-3.50", Gbp).unwrap(), m(-350, Gbp));
        assert_eq!(Money::parse("25000", Vnd).unwrap(), m(25_000, Vnd));
        for bad in [
            "1.234", "abc", "", "1.", "-", "1e3", ".5", "1 000", "--1", "+1",
        ] {
            assert!(Money::parse(bad, Usd).is_err(), "{bad}");
        }
        assert!(Money::parse("10.5", Vnd).is_err(), "VND has no minor unit");
        assert!(Money::parse("1000000000000", Usd).is_err(), "too large");
    }

    /// The table of what people type: accepted with the amount it means, or refused with a
    /// message that shows the expected form.
    #[test]
    fn typed_amounts_are_read_one_way_and_ambiguous_commas_are_refused() {
        let accepted = [
            ("1,234.56", Usd, 123_456),
            ("1234.56", Usd, 123_456),
            ("0.50", Eur, 50),
            ("0.5", Eur, 50),
            ("4.5", Eur, 450),
            ("12,345,678.90", Gbp, 1_234_567_890),
            ("1,000", Usd, 100_000),
            ("1,000", Jpy, 1000),
            ("290,000", Vnd, 290_000),
            ("  42 ", Usd, 4200),
            ("-1,250.00", Usd, -125_000),
            ("0", Usd, 0),
        ];
        for (raw, c, minor) in accepted {
            assert_eq!(Money::parse(raw, c), Ok(m(minor, c)), "{raw} in {c}");
        }
        let ambiguous = [
            ("0,50", Usd),
            ("4,5", Eur),
            ("1,5", Usd),
            ("1,00", Usd),
            ("1,2345", Usd),
            (",500", Usd),
            ("1,", Usd),
            ("1234,567", Usd),
            ("1.234,56", Eur),
            ("0,5", Jpy),
        ];
        for (raw, c) in ambiguous {
            let e = Money::parse(raw, c).expect_err(raw);
            assert!(e.0.contains("with a point"), "{raw}: {}", e.0);
            assert!(e.0.contains("1,250"), "{raw} shows the form: {}", e.0);
        }
        let e = Money::parse("4.505", Eur).unwrap_err();
        assert_eq!(e.0, "EUR has at most 2 decimals, like 1,250.50 or 1250.50.");
        let e = Money::parse("10.5", Vnd).unwrap_err();
        assert!(e.0.starts_with("VND has no decimals"), "{}", e.0);
        let e = Money::parse("", Usd).unwrap_err();
        assert!(e.0.starts_with("Enter an amount"), "{}", e.0);
    }

    #[test]
    fn sums_refuse_to_mix_currencies_or_overflow() {
        assert_eq!(m(100, Usd).checked_add(m(250, Usd)), Ok(m(350, Usd)));
        assert_eq!(m(100, Usd).checked_sub(m(250, Usd)), Ok(m(-150, Usd)));
        assert_eq!(
            m(100, Usd).checked_add(m(1, Eur)),
            Err(MoneyError::CurrencyMismatch(Usd, Eur))
        );
        assert_eq!(
            m(i64::MAX, Usd).checked_add(m(1, Usd)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(m(i64::MIN, Usd).checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(m(i64::MAX / 2 + 1, Usd).times(2), Err(MoneyError::Overflow));
        assert_eq!(
            Money::sum([m(1, Usd), m(2, Usd), m(3, Usd)]),
            Ok(Some(m(6, Usd)))
        );
        assert_eq!(Money::sum([]), Ok(None));
    }

    #[test]
    fn parts_of_a_term_round_half_to_even() {
        let usd = |m| Money::new(m, Currency::Usd);
        // $120.00 for 31 of 365 days: 10.1917… → $10.19.
        assert_eq!(usd(12_000).part(31, 365).unwrap(), usd(1019));
        // 1 cent for half the days: 0.5 → 0 (to even); 3 cents: 1.5 → 2.
        assert_eq!(usd(1).part(1, 2).unwrap(), usd(0));
        assert_eq!(usd(3).part(1, 2).unwrap(), usd(2));
        // Clamped: more days left than the term has is the whole price; none left is nothing.
        assert_eq!(usd(500).part(40, 30).unwrap(), usd(500));
        assert_eq!(usd(500).part(-3, 30).unwrap(), usd(0));
        assert!(usd(500).part(1, 0).is_err());
    }

    #[test]
    fn shares_round_half_to_even() {
        // 12.5 % of $1.00 is 12.5 cents: the tie goes to the even 12.
        assert_eq!(m(100, Usd).share_bp(1250).unwrap(), m(12, Usd));
        // 12.5 % of $1.40 is 17.5 cents: to the even 18.
        assert_eq!(m(140, Usd).share_bp(1250).unwrap(), m(18, Usd));
        // Not a tie: 10 % of 0.15 is 1.5 → 2; of 0.13 is 1.3 → 1; of 0.17 is 1.7 → 2.
        assert_eq!(m(15, Usd).share_bp(1000).unwrap(), m(2, Usd));
        assert_eq!(m(13, Usd).share_bp(1000).unwrap(), m(1, Usd));
        assert_eq!(m(17, Usd).share_bp(1000).unwrap(), m(2, Usd));
        // Negative amounts (refunds) mirror positive ones.
        assert_eq!(m(-100, Usd).share_bp(1250).unwrap(), m(-12, Usd));
        assert_eq!(m(-140, Usd).share_bp(1250).unwrap(), m(-18, Usd));
        assert_eq!(m(i64::MAX, Usd).share_bp(10_000).unwrap(), m(i64::MAX, Usd));
        assert_eq!(m(i64::MAX, Usd).share_bp(20_000), Err(MoneyError::Overflow));
    }

    #[test]
    fn currencies_parse_from_their_codes() {
        assert_eq!(Currency::parse(" eur ").unwrap(), Eur);
        assert!(Currency::parse("XXX").is_err());
        for c in CURRENCIES {
            assert_eq!(Currency::parse(c.code()).unwrap(), c);
        }
    }
}
