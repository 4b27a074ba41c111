//! The payment link (`/pay/{token}`): no sign-in. It shows who bills whom, the lines, the total
//! and the due date, and pays the invoice through the configured gateway; a paid, void or
//! replaced link says so (with the receipt when there is one). Answers `no-store` (every page
//! does) and `Referrer-Policy: no-referrer` (every response), and never shows another invoice.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, invoice_view::InvoiceBody, render, render_status};
use crate::{
    auth::csrf::CsrfForm,
    domain::{invoice::InvoiceStatus, Email},
    error::AppResult,
    services::invoices::{self as svc, Attempt, InvoiceError, PayView},
    startup::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::PAY, web::get().to(page))
        .route(urls::PAY, web::post().to(pay));
}

#[derive(Template)]
#[template(path = "pay/pay.html")]
struct PayPage {
    ctx: Ctx,
    action: String,
    inv: InvoiceBody,
    email: String,
    message: String,
}

#[derive(Template)]
#[template(path = "pay/invalid.html")]
struct InvalidPage {
    ctx: Ctx,
}

fn build(req: &HttpRequest, token: &str, v: PayView) -> PayPage {
    PayPage {
        ctx: Ctx::new(req, None),
        action: urls::pay(token),
        inv: InvoiceBody::from(&v),
        email: String::new(),
        message: String::new(),
    }
}

/// A token that opens nothing: guessed, altered, or replaced by a newer link.
fn invalid(req: &HttpRequest) -> AppResult<HttpResponse> {
    render_status(
        actix_web::http::StatusCode::NOT_FOUND,
        &InvalidPage {
            ctx: Ctx::new(req, None),
        },
    )
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    match svc::by_token(&state.core, &token).await {
        Ok(v) => render(&build(&req, &token, v)),
        Err(InvoiceError::NotFound) => invalid(&req),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PayParams {
    /// The test gateway's cards: `approve` or `decline`.
    card: String,
    /// Where the receipt goes (optional).
    email: String,
}

async fn pay(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<PayParams>,
) -> AppResult<HttpResponse> {
    let v = match svc::by_token(&state.core, &token).await {
        Ok(v) => v,
        Err(InvoiceError::NotFound) => return invalid(&req),
        Err(e) => return Err(e.into()),
    };
    let invoice = v.invoice.id;
    let total = v.total;
    let mut page = build(&req, &token, v);
    let email = form.0.email.trim().to_string();
    if !email.is_empty() && Email::parse(&email).is_err() {
        page.email = email;
        page.message = "Enter a valid email for the receipt, or leave it empty.".into();
        return render_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if page.inv.status != InvoiceStatus::Open {
        return render(&page);
    }
    // The test gateway: its "approve" card pays, its "decline" card is refused.
    let approved = form.0.card == "approve";
    let attempt = Attempt {
        gateway: "test",
        reference: format!("test_{}", uuid::Uuid::new_v4().simple()),
        amount: total,
        approved,
        captured: false,
        detail: (!approved).then(|| "the test card 4000 0000 0000 0002 is always declined.".into()),
        payer: if email.is_empty() {
            "pay link".into()
        } else {
            email.clone()
        },
    };
    let outcome = svc::record_payment(&state.core, invoice, attempt).await;
    let fresh = svc::by_token(&state.core, &token).await?;
    let mut page = build(&req, &token, fresh);
    page.email = email;
    match outcome {
        Ok(_) => render(&page),
        Err(e @ (InvoiceError::Declined(_) | InvoiceError::Closed(_))) => {
            page.message = crate::error::sentence(e);
            render_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
