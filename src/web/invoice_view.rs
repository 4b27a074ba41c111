//! An invoice as both its pages show it (the partner's `/invoices/{id}` and the payment link):
//! who bills whom, the dates, the lines, the totals and the receipt.
use crate::web::{fmt_datetime, fmt_day};
use crate::{
    domain::{invoice::InvoiceStatus, Money},
    services::invoices::{LineView, PayView},
};

/// Rendered by `partials/invoice_body.html`.
pub struct InvoiceBody {
    /// "Invoice" or "Credit note".
    pub kind: &'static str,
    pub number: String,
    pub seller: String,
    pub customer: String,
    pub issued: String,
    pub due: String,
    pub status: InvoiceStatus,
    pub lines: Vec<LineView>,
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
    /// Paid from credit so far, and what is left to pay.
    pub credit: Money,
    pub left: Money,
    /// The credit row to print: credit that paid (part of) an open or paid invoice; a closed
    /// one gave its credit back.
    pub credit_row: Option<Money>,
    /// The amount-due row to print: while open, what is left to pay.
    pub due_row: Option<Money>,
    /// What its state allows: paying it (the pay page's forms, the link), closing it (staff).
    pub can_pay: bool,
    pub can_close: bool,
    /// A paid invoice's receipt: how much, when, by whom.
    pub paid: String,
}

impl From<&PayView> for InvoiceBody {
    fn from(v: &PayView) -> Self {
        let i = &v.invoice;
        Self {
            kind: if i.is_credit_note() {
                "Credit note"
            } else {
                "Invoice"
            },
            number: i.number.clone(),
            seller: i.seller.clone(),
            customer: i.customer_name.clone(),
            issued: fmt_datetime(&i.issued_at),
            due: fmt_day(i.due_on),
            status: i.status,
            lines: v.lines.clone(),
            subtotal: i.subtotal,
            tax: i.tax,
            total: i.total,
            credit: i.from_credit,
            left: i.due,
            credit_row: i.credit_row(),
            due_row: i.due_row(),
            can_pay: i.can_pay(),
            can_close: i.can_close(),
            paid: v
                .receipt
                .as_ref()
                .map(|p| format!("{} on {} by {}", i.total, fmt_datetime(&p.at), p.payer))
                .unwrap_or_default(),
        }
    }
}

/// The invoice as a PDF download: rendered off the async workers (it is CPU work), answered
/// as an attachment named after the invoice, never cached.
pub async fn pdf_response(v: &PayView) -> crate::error::AppResult<actix_web::HttpResponse> {
    use crate::documents::invoice_pdf::{invoice_pdf, InvoicePdf, PdfLine};
    let body = InvoiceBody::from(v);
    let kind = body.kind;
    let note = match body.status {
        InvoiceStatus::Paid if kind == "Credit note" => format!(
            "Credited to {}'s balance: {}",
            body.customer,
            v.invoice.close_reason.as_deref().unwrap_or_default()
        ),
        InvoiceStatus::Paid => format!("Paid: {}.", body.paid),
        InvoiceStatus::Open => format!(
            "{} due by {}. Pay with the payment link your seller sent you, or ask {} for it.",
            body.left, body.due, body.seller
        ),
        s => format!(
            "{}{}",
            s.label(),
            v.invoice
                .close_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
    };
    let doc = InvoicePdf {
        title: format!("{kind} {}", body.number),
        status: body.status.label().into(),
        seller: body.seller.clone(),
        customer: body.customer.clone(),
        customer_country: crate::domain::countries::name(&v.invoice.customer_country)
            .unwrap_or(&v.invoice.customer_country)
            .to_string(),
        issued: body.issued.clone(),
        due: body.due.clone(),
        lines: body
            .lines
            .iter()
            .map(|l| PdfLine {
                description: l.description.clone(),
                quantity: l.quantity.to_string(),
                unit: l.unit.to_string(),
                tax: l.tax.to_string(),
                amount: l.amount.to_string(),
            })
            .collect(),
        subtotal: body.subtotal.to_string(),
        tax: body.tax.to_string(),
        credit: body.credit_row.map(|m| m.to_string()),
        amount_due: body.due_row.map(|m| m.to_string()),
        total: body.total.to_string(),
        note,
    };
    let bytes = actix_web::web::block(move || invoice_pdf(&doc))
        .await
        .map_err(|e| crate::error::AppError::Unexpected(anyhow::anyhow!("rendering a PDF: {e}")))?;
    Ok(actix_web::HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.pdf\"", body.number),
        ))
        .body(bytes))
}
