//! The credit ledger's entries: what kind of change each is, and the sign its amount takes.
use sea_orm::{DeriveActiveEnum, EnumIter};

use super::{
    money::{Currency, Money},
    Invalid,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CreditKind {
    #[sea_orm(string_value = "grant")]
    Grant,
    #[sea_orm(string_value = "topup")]
    Topup,
    #[sea_orm(string_value = "spend")]
    Spend,
    #[sea_orm(string_value = "expiry")]
    Expiry,
    #[sea_orm(string_value = "adjustment")]
    Adjustment,
}

pub const CREDIT_KINDS: [CreditKind; 5] = [
    CreditKind::Grant,
    CreditKind::Topup,
    CreditKind::Spend,
    CreditKind::Expiry,
    CreditKind::Adjustment,
];

impl CreditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Topup => "topup",
            Self::Spend => "spend",
            Self::Expiry => "expiry",
            Self::Adjustment => "adjustment",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Grant => "Grant",
            Self::Topup => "Top-up",
            Self::Spend => "Spend",
            Self::Expiry => "Expiry",
            Self::Adjustment => "Adjustment",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        CREDIT_KINDS
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("Choose the kind of entry."))
    }

    /// The signed amount an entry of this kind stores, from what staff typed: spend and
    /// expiry take credit away, so a positive amount typed for them is stored negative;
    /// grants and top-ups only add.
    pub fn amount(self, raw: &str, currency: Currency) -> Result<Money, Invalid> {
        let amount = Money::parse(raw, currency)?;
        if amount.is_zero() {
            return Err(Invalid::new("Enter an amount other than zero."));
        }
        let too_large = |_| Invalid::new("The amount is too large.");
        match self {
            Self::Spend | Self::Expiry => amount.abs().and_then(Money::checked_neg).map_err(too_large),
            Self::Grant | Self::Topup if amount.is_negative() => Err(Invalid::new(
                "A grant or top-up adds credit: enter a positive amount. Use an adjustment to correct a mistake.",
            )),
            _ => Ok(amount),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Currency::Usd;

    #[test]
    fn spending_is_stored_negative_and_grants_must_add() {
        let amount = |k: CreditKind, raw| k.amount(raw, Usd).map(|m| m.minor);
        assert_eq!(amount(CreditKind::Spend, "12.50").unwrap(), -1250);
        assert_eq!(amount(CreditKind::Expiry, "-3").unwrap(), -300);
        assert_eq!(amount(CreditKind::Topup, "250").unwrap(), 25_000);
        assert_eq!(amount(CreditKind::Adjustment, "-1").unwrap(), -100);
        assert!(amount(CreditKind::Grant, "-5").is_err());
        assert!(amount(CreditKind::Topup, "0").is_err());
    }
}
