//! Invoices: their states, their numbers, and the tax on a line. An open invoice can be paid,
//! voided by staff (with a reason) or written off as uncollectible; a paid, void or
//! uncollectible invoice never changes again (corrections are credit notes).
use sea_orm::{DeriveActiveEnum, EnumIter};

use super::{money::MoneyError, Invalid, Money};

/// Stored as its text; a value the code does not know is an error when read, never a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InvoiceStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "void")]
    Void,
    #[sea_orm(string_value = "uncollectible")]
    Uncollectible,
}

/// What an invoice bills: an order, a renewal, a credit top-up, or (negative) a credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum InvoiceKind {
    #[sea_orm(string_value = "order")]
    Order,
    #[sea_orm(string_value = "renewal")]
    Renewal,
    #[sea_orm(string_value = "top_up")]
    TopUp,
    #[sea_orm(string_value = "credit_note")]
    CreditNote,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Renewal => "renewal",
            Self::TopUp => "top_up",
            Self::CreditNote => "credit_note",
        }
    }

    /// An invoice for something sold (an order or a renewal): it earns commission, counts
    /// as revenue and can be credited back.
    pub fn is_billable(self) -> bool {
        matches!(self, Self::Order | Self::Renewal)
    }
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Void => "void",
            Self::Uncollectible => "uncollectible",
        }
    }

    /// Reads a status from a filter or a form; an unknown one is `None`, never a default.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Paid, Self::Void, Self::Uncollectible]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Paid => "Paid",
            Self::Void => "Void",
            Self::Uncollectible => "Uncollectible",
        }
    }

    pub fn tone(self) -> &'static str {
        match self {
            Self::Open => "warning",
            Self::Paid => "success",
            Self::Void | Self::Uncollectible => "muted",
        }
    }

    /// Only an open invoice moves, and only to one of the closed states.
    pub fn can_become(self, to: InvoiceStatus) -> bool {
        self == Self::Open && to != Self::Open
    }
}

/// How a document is labelled in lists, with its badge's tone: a credit note is settled the
/// moment it is issued, so it shows as what it is rather than "Paid".
pub fn list_label(kind: InvoiceKind, status: InvoiceStatus) -> (&'static str, &'static str) {
    if kind == InvoiceKind::CreditNote {
        ("Credit note", "info")
    } else {
        (status.label(), status.tone())
    }
}

/// The figures an invoice list sums, each over one column of the rows it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListSum {
    /// Open invoices: what is left to pay, credit taken off.
    Due,
    /// Paid invoices: their totals.
    Paid,
    /// Credit notes: what they gave back.
    Credited,
    /// Void invoices: their totals (never owed).
    Void,
    /// Written-off invoices: their totals.
    Uncollectible,
}

impl ListSum {
    pub fn label(self) -> &'static str {
        match self {
            Self::Due => "Open, left to pay",
            Self::Paid => "Paid",
            Self::Credited => "Credited",
            Self::Void => "Void",
            Self::Uncollectible => "Uncollectible",
        }
    }

    /// Which figure a group of invoices (same status and kind) adds to, and how much, from
    /// the sums of their totals and of the credit paid towards them.
    pub fn of(status: InvoiceStatus, kind: InvoiceKind, total: i64, credit: i64) -> (Self, i64) {
        match (status, kind) {
            (_, InvoiceKind::CreditNote) => (Self::Credited, -total),
            (InvoiceStatus::Open, _) => (Self::Due, total - credit),
            (InvoiceStatus::Paid, _) => (Self::Paid, total),
            (InvoiceStatus::Void, _) => (Self::Void, total),
            (InvoiceStatus::Uncollectible, _) => (Self::Uncollectible, total),
        }
    }
}

/// "INV-2026-000123"
pub fn invoice_number(year: i32, seq: i64) -> String {
    format!("INV-{year}-{seq:06}")
}

/// The counter that numbers one year's invoices.
pub fn counter_name(year: i32) -> String {
    format!("invoices-{year}")
}

/// "CN-2026-000004": credit notes have their own series, without gaps per year.
pub fn credit_note_number(year: i32, seq: i64) -> String {
    format!("CN-{year}-{seq:06}")
}

/// The counter that numbers one year's credit notes.
pub fn credit_note_counter(year: i32) -> String {
    format!("credit_notes-{year}")
}

/// A credit of `gross` (tax included) against an invoice of `total` with `tax`: the part of
/// it that is tax, in the invoice's proportion, half to even.
pub fn credit_tax(gross: Money, total: Money, tax: Money) -> Result<Money, MoneyError> {
    if total.minor <= 0 {
        return Ok(Money::zero(gross.currency));
    }
    gross.part(tax.minor, total.minor)
}

/// The tax on one line: the rate (basis points) of its amount, rounded half to even, the
/// portal's one rounding rule, once per line.
pub fn line_tax(amount: Money, rate_bp: i32) -> Result<Money, MoneyError> {
    amount.share_bp(rate_bp)
}

/// Reads a tax rate typed in percent ("19", "7.5"): 0 to 100 %.
pub fn parse_tax_rate(raw: &str) -> Result<i32, Invalid> {
    let rate = super::CommissionRate::parse(raw)
        .map_err(|_| Invalid::new("Enter a percentage from 0 to 100, like 19 or 7.5."))?;
    Ok(rate.bp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    #[test]
    fn numbers_have_the_year_and_six_digits() {
        assert_eq!(invoice_number(2026, 123), "INV-2026-000123");
        assert_eq!(counter_name(2027), "invoices-2027");
    }

    #[test]
    fn only_an_open_invoice_changes() {
        use InvoiceStatus::*;
        assert!(Open.can_become(Paid));
        assert!(Open.can_become(Void));
        assert!(!Paid.can_become(Void));
        assert!(!Void.can_become(Paid));
        assert!(!Open.can_become(Open));
    }

    #[test]
    fn tax_rounds_half_to_even_per_line() {
        // 19 % of $0.50 is 9.5 cents: to the even 10; of $0.50 at 5 %: 2.5 → 2.
        let half = Money::new(50, Currency::Usd);
        assert_eq!(line_tax(half, 1900).unwrap(), Money::new(10, Currency::Usd));
        assert_eq!(line_tax(half, 500).unwrap(), Money::new(2, Currency::Usd));
        assert_eq!(parse_tax_rate("19").unwrap(), 1900);
        assert!(parse_tax_rate("-1").is_err());
    }
}
