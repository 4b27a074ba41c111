//! Commission rates in basis points (1 % = 100 bp), parsed from what people type ("12.5",
//! "12.5%") and shown as they expect ("12.5%").
use sea_orm::{DeriveActiveEnum, EnumIter};

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommissionRate(i32);

impl CommissionRate {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().trim_end_matches('%').trim();
        if s.is_empty() {
            return Err(Invalid::new("Enter the commission rate, e.g. 12.5."));
        }
        let bad = || {
            Invalid::new(
                "Enter a percentage between 0 and 100 with at most two decimals, e.g. 12.5.",
            )
        };
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 2
            || whole.len() > 3
        {
            return Err(bad());
        }
        let whole: i32 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let frac: i32 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let bp = whole * 100 + frac;
        if bp > 10_000 {
            return Err(bad());
        }
        Ok(Self(bp))
    }

    pub fn from_bp(bp: i32) -> Self {
        Self(bp.clamp(0, 10_000))
    }

    pub fn bp(self) -> i32 {
        self.0
    }
}

/// A discount's percentage: parsed like a commission rate, but zero is no discount.
pub fn parse_discount(raw: &str) -> Result<CommissionRate, Invalid> {
    if raw.trim().is_empty() {
        return Err(Invalid::new("Enter the discount in percent, e.g. 20."));
    }
    let rate = CommissionRate::parse(raw)?;
    if rate.bp() == 0 {
        return Err(Invalid::new("Enter a discount above 0%."));
    }
    Ok(rate)
}

impl std::fmt::Display for CommissionRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (w, r) = (self.0 / 100, self.0 % 100);
        match r {
            0 => write!(f, "{w}%"),
            r if r % 10 == 0 => write!(f, "{w}.{}%", r / 10),
            r => write!(f, "{w}.{r:02}%"),
        }
    }
}

/// What a commission entry records. Stored as text; an unknown value is an error when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EntryKind {
    #[sea_orm(string_value = "earned")]
    Earned,
    #[sea_orm(string_value = "reversed")]
    Reversed,
    #[sea_orm(string_value = "charged")]
    Charged,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Earned => "earned",
            Self::Reversed => "reversed",
            Self::Charged => "charged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Earned => "Earned",
            Self::Reversed => "Reversed",
            Self::Charged => "Charged",
        }
    }

    /// The entry's effect on the partner's balance.
    pub fn signed(self, amount: i64) -> i64 {
        match self {
            Self::Earned => amount,
            Self::Reversed | Self::Charged => -amount,
        }
    }
}

/// A monthly statement: open while the month runs, closed by the month-end job, approved by
/// staff, paid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum StatementStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "closed")]
    Closed,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "paid")]
    Paid,
}

impl StatementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Approved => "approved",
            Self::Paid => "paid",
        }
    }

    /// Reads a status from a filter; an unknown one is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Closed, Self::Approved, Self::Paid]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Closed => "Closed",
            Self::Approved => "Approved",
            Self::Paid => "Paid out",
        }
    }

    pub fn tone(self) -> &'static str {
        match self {
            Self::Open => "info",
            Self::Closed => "warning",
            Self::Approved => "success",
            Self::Paid => "muted",
        }
    }

    /// Staff can act on it: approve a closed one, record the payout of an approved one.
    pub fn staff_can_act(self) -> bool {
        matches!(self, Self::Closed | Self::Approved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_to_basis_points() {
        for (raw, bp) in [
            ("12.5", 1250),
            ("12.5%", 1250),
            ("0", 0),
            ("100", 10_000),
            (".25", 25),
            ("7.05", 705),
            (" 30 % ", 3000),
        ] {
            assert_eq!(CommissionRate::parse(raw).unwrap().bp(), bp, "{raw}");
        }
    }

    #[test]
    fn bad_rates_are_refused() {
        for raw in ["", "-1", "100.01", "abc", "1.234", "1e2", "12,5", "."] {
            assert!(CommissionRate::parse(raw).is_err(), "{raw:?} accepted");
        }
    }

    #[test]
    fn rates_display_as_percentages() {
        assert_eq!(CommissionRate::from_bp(1250).to_string(), "12.5%");
        assert_eq!(CommissionRate::from_bp(1000).to_string(), "10%");
        assert_eq!(CommissionRate::from_bp(705).to_string(), "7.05%");
    }
}
