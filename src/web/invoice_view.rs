//! An invoice as both its pages show it (the partner's `/invoices/{id}` and the payment link):
//! who bills whom, the dates, the lines, the totals and the receipt.
use crate::web::{fmt_datetime, fmt_day};
use crate::{
    domain::{invoice::InvoiceStatus, Money},
    services::invoices::PayView,
};

pub struct Line {
    pub description: String,
    pub quantity: i32,
    pub unit: Money,
    pub amount: Money,
    pub tax: Money,
}

/// Rendered by `partials/invoice_body.html`.
pub struct InvoiceBody {
    pub number: String,
    pub seller: String,
    pub customer: String,
    pub issued: String,
    pub due: String,
    pub status: InvoiceStatus,
    pub lines: Vec<Line>,
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
    /// Paid from credit so far, and what is left to pay.
    pub credit: Money,
    pub left: Money,
    /// A paid invoice's receipt: how much, when, by whom.
    pub paid: String,
}

impl From<&PayView> for InvoiceBody {
    fn from(v: &PayView) -> Self {
        let currency = v.total.currency;
        Self {
            number: v.invoice.number.clone(),
            seller: v.invoice.seller.clone(),
            customer: v.invoice.customer_name.clone(),
            issued: fmt_datetime(&v.invoice.issued_at),
            due: fmt_day(v.invoice.due_on),
            status: v.status,
            lines: v
                .lines
                .iter()
                .map(|l| Line {
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit: Money::new(l.unit_minor, currency),
                    amount: Money::new(l.amount_minor, currency),
                    tax: Money::new(l.tax_minor, currency),
                })
                .collect(),
            subtotal: v.subtotal,
            tax: v.tax,
            total: v.total,
            credit: v.credit,
            left: v.due,
            paid: v
                .receipt
                .as_ref()
                .map(|p| {
                    format!(
                        "{} on {} by {}",
                        v.total,
                        fmt_datetime(&p.created_at),
                        p.payer
                    )
                })
                .unwrap_or_default(),
        }
    }
}
