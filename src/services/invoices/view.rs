//! What the invoice services hand out: typed values, what is left to pay, and what the
//! invoice's state allows. Pages render these; they never see an entity model, work out an
//! amount or decide an action from a status themselves.
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{
    domain::{
        invoice::{InvoiceKind, InvoiceStatus},
        payment::{PaymentGateway, PaymentOutcome},
        Money,
    },
    entities::{invoice_lines, invoices, payments},
};

#[derive(Debug, Clone)]
pub struct InvoiceView {
    pub id: Uuid,
    /// INV-2026-000123 (CN-… for a credit note).
    pub number: String,
    pub kind: InvoiceKind,
    pub status: InvoiceStatus,
    pub partner_id: Uuid,
    pub registration_id: Uuid,
    pub account_id: Uuid,
    pub order_id: Option<Uuid>,
    pub seller: String,
    pub customer_name: String,
    pub customer_country: String,
    pub issued_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub paid_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was voided or written off (a credit note: why it was issued).
    pub close_reason: Option<String>,
    /// A credit note: the invoice it corrects.
    pub credit_of: Option<Uuid>,
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
    /// Paid from the customer's credit (given back when it was closed without payment).
    pub from_credit: Money,
    /// What is left to pay: the total less credit while open, nothing otherwise.
    pub due: Money,
}

impl InvoiceView {
    pub(crate) fn of(m: &invoices::Model) -> Self {
        let state = super::settlement::state_of(m);
        Self {
            id: m.id,
            number: m.number.clone(),
            kind: m.kind,
            status: m.status,
            partner_id: m.partner_id,
            registration_id: m.registration_id,
            account_id: m.account_id,
            order_id: m.order_id,
            seller: m.seller.clone(),
            customer_name: m.customer_name.clone(),
            customer_country: m.customer_country.clone(),
            issued_at: m.issued_at,
            due_on: m.due_on,
            paid_at: m.paid_at,
            closed_at: m.closed_at,
            close_reason: m.close_reason.clone(),
            credit_of: m.credit_of,
            subtotal: Money::new(m.subtotal_minor, m.currency),
            tax: Money::new(m.tax_minor, m.currency),
            total: Money::new(m.total_minor, m.currency),
            from_credit: Money::new(m.credit_minor, m.currency),
            due: state.due(),
        }
    }

    /// Open with something left to pay: the payment link and the pay buttons.
    pub fn can_pay(&self) -> bool {
        self.status == InvoiceStatus::Open && self.due.minor > 0
    }

    /// Credit can pay it (not a top-up: that is bought with money).
    pub fn can_pay_from_credit(&self) -> bool {
        self.can_pay() && self.kind != InvoiceKind::TopUp
    }

    /// Staff can void it or write it off.
    pub fn can_close(&self) -> bool {
        self.status == InvoiceStatus::Open
    }

    pub fn is_credit_note(&self) -> bool {
        self.kind == InvoiceKind::CreditNote
    }

    /// The credit row a document prints: credit that paid (part of) an open or paid invoice.
    pub fn credit_row(&self) -> Option<Money> {
        (!self.from_credit.is_zero()
            && matches!(self.status, InvoiceStatus::Open | InvoiceStatus::Paid))
        .then_some(self.from_credit)
    }

    /// The amount-due row a document prints: while open.
    pub fn due_row(&self) -> Option<Money> {
        (self.status == InvoiceStatus::Open).then_some(self.due)
    }
}

/// One line of an invoice.
#[derive(Debug, Clone)]
pub struct LineView {
    pub description: String,
    pub quantity: i32,
    pub unit: Money,
    pub amount: Money,
    pub tax: Money,
}

impl LineView {
    pub(crate) fn of(l: &invoice_lines::Model, inv: &invoices::Model) -> Self {
        let m = |minor| Money::new(minor, inv.currency);
        Self {
            description: l.description.clone(),
            quantity: l.quantity,
            unit: m(l.unit_minor),
            amount: m(l.amount_minor),
            tax: m(l.tax_minor),
        }
    }
}

/// One payment attempt.
#[derive(Debug, Clone)]
pub struct PaymentView {
    pub at: DateTime<Utc>,
    pub gateway: PaymentGateway,
    pub reference: String,
    pub amount: Money,
    pub outcome: PaymentOutcome,
    pub payer: String,
    pub detail: Option<String>,
}

impl From<payments::Model> for PaymentView {
    fn from(p: payments::Model) -> Self {
        Self {
            at: p.created_at,
            gateway: p.gateway,
            reference: p.reference,
            amount: Money::new(p.amount_minor, p.currency),
            outcome: p.outcome,
            payer: p.payer,
            detail: p.detail,
        }
    }
}
