//! An invoice (`/invoices/{id}`) for its partner, staff and the customer's users: the invoice
//! as it prints, its payment link while open (a read-only field ready to select, and a Copy
//! button with JavaScript) and its history. The partner replaces the link or emails it; staff
//! void an invoice or write it off, with a reason.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, invoice_view::InvoiceBody, parse_id, redirect_with, render,
    timeline, Confirmation, TimelineEntry,
};
use crate::{
    auth::{csrf::CsrfForm, PartnerUser, Principal, StaffUser},
    domain::{invoice::InvoiceStatus, settlement::Closing, Email},
    error::AppResult,
    services::{
        credit_notes, credits,
        invoices::{self as svc, InvoiceError, Viewer},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::INVOICE, web::get().to(page))
        .route(urls::INVOICE_LINK, web::post().to(replace_link))
        .route(urls::INVOICE_SEND, web::post().to(send_link))
        .route(urls::INVOICE_CLOSE, web::post().to(close))
        .route(urls::INVOICE_CREDIT, web::post().to(pay_from_credit))
        .route(urls::INVOICE_PDF, web::get().to(pdf))
        .route(urls::INVOICE_CREDIT_NOTE, web::post().to(credit_note));
}

#[derive(Template)]
#[template(path = "invoices/invoice.html")]
struct Page {
    ctx: Ctx,
    inv: InvoiceBody,
    /// Where "the customer" leads for this viewer (empty: nowhere).
    customer_href: String,
    /// The full payment link while the invoice is open.
    link: String,
    /// What this viewer may do.
    partner: bool,
    staff: bool,
    id: uuid::Uuid,
    reason: String,
    history: Vec<TimelineEntry>,
    /// For the partner of an open invoice: the customer's credit in its currency, if any, and
    /// the amount the form suggests (the most it can pay).
    credit_available: Option<crate::domain::Money>,
    credit_amount: String,
    /// For staff on a paid invoice: what is left to credit; and the invoice's credit notes
    /// (or, on a credit note, the invoice it corrects).
    creditable: Option<crate::domain::Money>,
    credit_notes: Vec<(String, String, crate::domain::Money)>,
    corrects: Option<(String, String)>,
    /// The payment attempts (for the partner and staff), and whether any took money that did
    /// not match the invoice.
    payments: Vec<PaymentLine>,
    mismatch: bool,
}

struct PaymentLine {
    at: String,
    how: String,
    amount: crate::domain::Money,
    outcome: &'static str,
    tone: &'static str,
    payer: String,
    detail: String,
}

impl PaymentLine {
    fn from(p: &crate::services::invoices::PaymentView) -> Option<Self> {
        use crate::domain::payment::{PaymentGateway, PaymentOutcome};
        let (outcome, tone) = match p.outcome {
            PaymentOutcome::Succeeded => ("Paid", "success"),
            PaymentOutcome::Applied => ("Part paid", "info"),
            PaymentOutcome::Declined => ("Declined", "muted"),
            PaymentOutcome::Mismatch => ("Check and refund", "danger"),
        };
        Some(Self {
            at: crate::web::fmt_datetime(&p.at),
            how: match p.gateway {
                PaymentGateway::Stripe => format!("Card (Stripe {})", p.reference),
                g => g.label().to_string(),
            },
            amount: p.amount,
            outcome,
            tone,
            payer: p.payer.clone(),
            detail: p.detail.clone().unwrap_or_default(),
        })
    }
}

fn viewer(p: &Principal) -> Viewer {
    match p {
        Principal::Staff(_) => Viewer::Staff,
        Principal::Partner { partner, .. } => Viewer::Partner(partner.id),
        Principal::Customer { account, .. } => Viewer::Account(*account),
        Principal::ActingAs(a) => Viewer::Account(a.account),
    }
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let v = viewer(&who);
    let d = svc::detail(&state.core, v, id).await?;
    let reg = crate::domain::RegistrationId(d.view.invoice.registration_id);
    let offer = if matches!(v, Viewer::Partner(_)) {
        svc::credit_offer(&state.core, &d.view.invoice).await?
    } else {
        None
    };
    let credit_available = offer.map(|(balance, _)| balance);
    let credit_amount = offer.map_or(String::new(), |(_, s)| s.amount_text());
    let creditable = match v {
        Viewer::Staff => credit_notes::creditable(&state.core, id)
            .await?
            .filter(|m| m.minor > 0),
        _ => None,
    };
    let notes = credit_notes::of_invoice(&state.core, id)
        .await?
        .into_iter()
        .map(|(nid, number, amount)| (urls::invoice(nid), number, amount))
        .collect();
    let corrects = match d.view.invoice.credit_of {
        Some(of) => svc::detail(&state.core, v, of)
            .await
            .ok()
            .map(|o| (urls::invoice(of), o.view.invoice.number)),
        None => None,
    };
    let payments: Vec<PaymentLine> = if matches!(v, Viewer::Account(_)) {
        Vec::new()
    } else {
        d.payments.iter().filter_map(PaymentLine::from).collect()
    };
    let mismatch = payments.iter().any(|p| p.tone == "danger");
    render(&Page {
        ctx: Ctx::new(&req, Some(&who)),
        inv: InvoiceBody::from(&d.view),
        customer_href: match v {
            Viewer::Partner(_) => urls::customer(reg),
            Viewer::Staff => {
                urls::staff_account(crate::domain::AccountId(d.view.invoice.account_id))
            }
            Viewer::Account(_) => String::new(),
        },
        link: d.link.map(|l| state.core.links.url(&l)).unwrap_or_default(),
        partner: matches!(v, Viewer::Partner(_)),
        staff: matches!(v, Viewer::Staff),
        id,
        reason: d.view.invoice.close_reason.clone().unwrap_or_default(),
        history: timeline(d.history),
        credit_available,
        credit_amount,
        creditable,
        credit_notes: notes,
        corrects,
        payments,
        mismatch,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreditNoteParams {
    amount: String,
    reason: String,
}

/// Staff correct a paid invoice with a credit note; the amount goes to the customer's credit.
async fn credit_note(
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<CreditNoteParams>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let d = svc::detail(&state.core, Viewer::Staff, id).await?;
    let currency = d.view.invoice.total.currency;
    let amount = match crate::domain::Money::parse(&form.0.amount, currency) {
        Ok(a) => a,
        Err(e) => {
            return Ok(redirect_with(
                &session,
                &urls::invoice(id),
                "error",
                &format!("The amount: {}", e.0),
            ))
        }
    };
    match credit_notes::issue(&state.core, &staff.actor(), id, amount, &form.0.reason).await {
        Ok(note) => Ok(redirect_with(
            &session,
            &urls::invoice(note),
            "success",
            &format!("Credit note issued: {amount} is on the customer's credit balance."),
        )),
        Err(credit_notes::CreditNoteError::Invoice(e)) => Err(e.into()),
        Err(e) => Ok(redirect_with(
            &session,
            &urls::invoice(id),
            "error",
            &crate::error::sentence(e),
        )),
    }
}

/// The invoice as a PDF, for whoever may see its page.
async fn pdf(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let d = svc::detail(&state.core, viewer(&who), id).await?;
    crate::web::invoice_view::pdf_response(&d.view).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreditParams {
    amount: String,
}

/// The partner pays its customer's open invoice wholly or partly from the customer's credit.
async fn pay_from_credit(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<CreditParams>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let d = svc::detail(&state.core, Viewer::Partner(user.org_id()), id).await?;
    let currency = d.view.invoice.due.currency;
    let result = async {
        let amount = credits::parse_amount(&form.0.amount, currency.code())?;
        let status = svc::pay_from_credit(&state.core, &user.actor(), id, amount).await?;
        Ok::<_, credits::CreditError>((amount, status))
    }
    .await;
    match result {
        Ok((amount, status)) => Ok(redirect_with(
            &session,
            &urls::invoice(id),
            "success",
            &if status == InvoiceStatus::Paid {
                format!("{amount} paid from credit: the invoice is paid.")
            } else {
                format!("{amount} paid from credit.")
            },
        )),
        Err(e @ (credits::CreditError::NotFound | credits::CreditError::Fault(_))) => Err(e.into()),
        Err(e) => Ok(redirect_with(
            &session,
            &urls::invoice(id),
            "error",
            &crate::error::sentence(e),
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionParams {
    confirmed: String,
    /// Where to email the link (empty: the customer's primary address).
    to: String,
    /// `void` or `uncollectible`.
    to_status: String,
    reason: String,
}

fn back_with(
    session: &Session,
    id: uuid::Uuid,
    result: Result<String, InvoiceError>,
) -> AppResult<HttpResponse> {
    match result {
        Ok(message) => Ok(redirect_with(
            session,
            &urls::invoice(id),
            "success",
            &message,
        )),
        Err(e @ (InvoiceError::Refused(_) | InvoiceError::Reason)) => Ok(redirect_with(
            session,
            &urls::invoice(id),
            "error",
            &crate::error::sentence(e),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn replace_link(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<ActionParams>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let d = svc::detail(&state.core, Viewer::Partner(user.org_id()), id).await?;
    if !confirmed(&form.0.confirmed) {
        return ask_first(
            &req,
            &user.principal(),
            &Confirmation {
                title: format!("Replace the payment link of {}?", d.view.invoice.number),
                explanation: "The link you shared stops working at once; send the new one to whoever should pay.".into(),
                button: "Replace the link".into(),
                action: urls::invoice_link(id),
                back: urls::invoice(id),
                fields: vec![],
            },
        );
    }
    let done = svc::replace_link(&state.core, &user.actor(), user.org_id(), id)
        .await
        .map(|()| "The payment link was replaced; the old one no longer works.".to_string());
    back_with(&session, id, done)
}

async fn send_link(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<ActionParams>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let to = form.0.to.trim();
    let to = if to.is_empty() {
        None
    } else {
        match Email::parse(to) {
            Ok(e) => Some(e),
            Err(e) => {
                return Ok(redirect_with(&session, &urls::invoice(id), "error", &e.0));
            }
        }
    };
    let done = svc::send_link(&state.core, &user.actor(), user.org_id(), id, to.as_ref())
        .await
        .map(|address| format!("The payment link was emailed to {address}."));
    back_with(&session, id, done)
}

async fn close(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<ActionParams>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let how = if form.0.to_status == "uncollectible" {
        Closing::Uncollectible
    } else {
        Closing::Void
    };
    let to = how.status();
    let d = svc::detail(&state.core, Viewer::Staff, id).await?;
    if !confirmed(&form.0.confirmed) && !form.0.reason.trim().is_empty() {
        return ask_first(
            &req,
            &staff.principal(),
            &Confirmation {
                title: format!(
                    "Mark {} as {}?",
                    d.view.invoice.number,
                    to.label().to_lowercase()
                ),
                explanation: "It can no longer be paid, and its payment link says so. This cannot be undone; a correction needs a credit note.".into(),
                button: format!("Mark it {}", to.label().to_lowercase()),
                action: urls::invoice_close(id),
                back: urls::invoice(id),
                fields: vec![
                    ("to_status", to.as_str().to_string()),
                    ("reason", form.0.reason.clone()),
                ],
            },
        );
    }
    let done = svc::close(&state.core, &staff.actor(), id, how, &form.0.reason)
        .await
        .map(|()| {
            format!(
                "{} is {}.",
                d.view.invoice.number,
                to.label().to_lowercase()
            )
        });
    back_with(&session, id, done)
}
