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

/// One ledger entry of an account in one currency, as the lot arithmetic needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub id: uuid::Uuid,
    pub kind: CreditKind,
    /// Signed, in minor units.
    pub amount: i64,
    /// A grant's or top-up's last day of use.
    pub expires_on: Option<chrono::NaiveDate>,
    /// An expiry entry's lot.
    pub lot: Option<uuid::Uuid>,
}

/// What is left of each lot (an entry that added credit), after the entries that took credit
/// away, in ledger order. Credit is used soonest-expiring first (credit that never expires
/// last, then oldest first); an expiry takes what is left of its own lot.
pub fn lots_left(entries: &[Entry]) -> Vec<(Entry, i64)> {
    let mut lots: Vec<(Entry, i64)> = Vec::new();
    for e in entries {
        if e.amount > 0 {
            lots.push((*e, e.amount));
            continue;
        }
        let mut owed = -e.amount;
        if e.kind == CreditKind::Expiry {
            if let Some(lot) = lots.iter_mut().find(|(l, _)| Some(l.id) == e.lot) {
                let take = owed.min(lot.1);
                lot.1 -= take;
                owed -= take;
            }
        }
        // Soonest-expiring first; `None` (never) sorts last; the sort is stable (oldest first).
        let mut order: Vec<usize> = (0..lots.len()).filter(|&i| lots[i].1 > 0).collect();
        order.sort_by_key(|&i| (lots[i].0.expires_on.is_none(), lots[i].0.expires_on));
        for i in order {
            if owed == 0 {
                break;
            }
            let take = owed.min(lots[i].1);
            lots[i].1 -= take;
            owed -= take;
        }
    }
    lots
}

/// The lots whose last day of use is before `today` and that still hold credit: what each
/// expiry entry takes.
pub fn expiring(entries: &[Entry], today: chrono::NaiveDate) -> Vec<(uuid::Uuid, i64)> {
    let expired: Vec<uuid::Uuid> = entries
        .iter()
        .filter(|e| e.kind == CreditKind::Expiry)
        .filter_map(|e| e.lot)
        .collect();
    lots_left(entries)
        .into_iter()
        .filter(|(l, left)| {
            *left > 0 && l.expires_on.is_some_and(|d| d < today) && !expired.contains(&l.id)
        })
        .map(|(l, left)| (l.id, left))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Currency::Usd;

    fn day(d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2027, 1, d).unwrap()
    }

    fn entry(
        n: u128,
        kind: CreditKind,
        amount: i64,
        expires: Option<u32>,
        lot: Option<u128>,
    ) -> Entry {
        Entry {
            id: uuid::Uuid::from_u128(n),
            kind,
            amount,
            expires_on: expires.map(day),
            lot: lot.map(uuid::Uuid::from_u128),
        }
    }

    #[test]
    fn spending_uses_the_soonest_expiring_credit_and_expiry_takes_only_what_is_left() {
        use CreditKind::*;
        let ledger = [
            entry(1, Topup, 10_000, None, None),
            entry(2, Grant, 3_000, Some(20), None),
            entry(3, Grant, 2_000, Some(10), None),
            // $40.00 spent: the grant ending on the 10th first ($20), then the 20th's ($30),
            // then $0 of... no: $20 + $30 = $50 > $40, so $20 from the first, $20 from the other.
            entry(4, Spend, -4_000, None, None),
        ];
        let left = lots_left(&ledger);
        assert_eq!(
            left.iter().map(|l| l.1).collect::<Vec<_>>(),
            [10_000, 1_000, 0]
        );
        // On the 21st both grants are past their last day: only the one with credit expires.
        assert_eq!(
            expiring(&ledger, day(21)),
            [(uuid::Uuid::from_u128(2), 1_000)]
        );
        // On the 20th itself nothing has expired yet.
        assert!(expiring(&ledger, day(20)).is_empty());
        // Once the expiry entry is written, nothing more expires, and the top-up is untouched.
        let mut after = ledger.to_vec();
        after.push(entry(5, Expiry, -1_000, None, Some(2)));
        assert!(expiring(&after, day(25)).is_empty());
        assert_eq!(lots_left(&after)[0].1, 10_000);
        // A later spend never reaches into an expired lot.
        after.push(entry(6, Spend, -500, None, None));
        assert_eq!(
            lots_left(&after).iter().map(|l| l.1).collect::<Vec<_>>(),
            [9_500, 0, 0]
        );
    }

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
