//! The payment link (`/pay/{token}`): no sign-in. It shows who bills whom, the lines, the total
//! and the due date, and pays the invoice through the configured gateway; a paid, void or
//! replaced link says so (with the receipt when there is one). Answers `no-store` (every page
//! does) and `Referrer-Policy: no-referrer` (every response), and never shows another invoice.
//!
//! With the test gateway the page is a plain form. With Stripe, the card is typed into Stripe.js
//! Elements and tokenized in the browser; `static/js/pay.js` sends the token to `/card` (which
//! charges it), completes 3-D Secure when the bank asks, and reports back to `/return`.
//! Stripe's webhook (`/webhooks/stripe`) confirms the payment whatever the browser does.
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use crate::web::urls;
use crate::web::{ctx::Ctx, invoice_view::InvoiceBody, render_status};
use crate::{
    auth::csrf::CsrfForm,
    domain::{invoice::InvoiceStatus, Email, Money},
    error::AppResult,
    payments::{Method, PayForm},
    services::{
        audit::Actor,
        credits::{self, CreditError},
        invoices::{self as svc, InvoiceError, PayView},
        payments::{self, Paying},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::PAY, web::get().to(page))
        .route(urls::PAY, web::post().to(pay))
        .route(urls::PAY_CARD, web::post().to(card))
        .route(urls::PAY_RETURN, web::post().to(returned))
        .route(urls::PAY_CREDIT, web::post().to(pay_from_credit))
        .route(urls::PAY_PDF, web::get().to(pdf))
        .route(urls::STRIPE_WEBHOOK, web::post().to(webhook));
}

#[derive(Template)]
#[template(path = "pay/pay.html")]
struct PayPage {
    ctx: Ctx,
    action: String,
    inv: InvoiceBody,
    email: String,
    message: String,
    /// Stripe.js Elements, when Stripe is the gateway.
    elements: Option<Elements>,
    /// The customer's credit in the invoice's currency, when it has some and the invoice is
    /// open (a form pays from it), and that form's action, value and message.
    credit_available: Option<Money>,
    credit_action: String,
    credit_amount: String,
    credit_message: String,
    pdf: String,
    /// The test gateway runs: the page says no real money is taken, whatever the status.
    test_installation: bool,
}

struct Elements {
    publishable_key: String,
    js_url: String,
    card_action: String,
    return_action: String,
}

#[derive(Template)]
#[template(path = "pay/invalid.html")]
struct InvalidPage {
    ctx: Ctx,
}

async fn build(req: &HttpRequest, state: &AppState, token: &str, v: PayView) -> AppResult<PayPage> {
    let offer = svc::credit_offer(&state.core, &v.invoice).await?;
    let credit_available = offer.map(|(balance, _)| balance);
    let credit_amount = offer.map_or(String::new(), |(_, s)| s.amount_text());
    let elements = match state.core.gateway.form() {
        PayForm::TestCards => None,
        PayForm::Elements {
            publishable_key,
            js_url,
            ..
        } => Some(Elements {
            publishable_key,
            js_url,
            card_action: urls::pay_card(token),
            return_action: urls::pay_return(token),
        }),
    };
    Ok(PayPage {
        ctx: Ctx::new(req, None),
        action: urls::pay(token),
        inv: InvoiceBody::from(&v),
        email: String::new(),
        message: String::new(),
        elements,
        credit_available,
        credit_action: urls::pay_credit(token),
        credit_amount,
        credit_message: String::new(),
        pdf: urls::pay_pdf(token),
        test_installation: state.config.payments.is_test(),
    })
}

/// The page, with a Content-Security-Policy that lets Stripe.js load, frame and call its API
/// when Stripe is the gateway (and nothing more than every other page otherwise).
fn respond(state: &AppState, status: StatusCode, page: &PayPage) -> AppResult<HttpResponse> {
    let mut res = render_status(status, page)?;
    if let PayForm::Elements {
        js_origin,
        api_origin,
        ..
    } = state.core.gateway.form()
    {
        let csp = format!(
            "default-src 'self'; script-src 'self' {js_origin}; style-src 'self'; \
             img-src 'self' data: {js_origin}; frame-src {js_origin} https://hooks.stripe.com; \
             connect-src 'self' {api_origin} {js_origin}; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'"
        );
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&csp) {
            res.headers_mut()
                .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(res)
}

/// A token that opens nothing: guessed, altered, or replaced by a newer link.
fn invalid(req: &HttpRequest) -> AppResult<HttpResponse> {
    render_status(
        StatusCode::NOT_FOUND,
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
        Ok(v) => respond(
            &state,
            StatusCode::OK,
            &build(&req, &state, &token, v).await?,
        ),
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

/// The receipt's address as typed: empty, or a valid email.
fn receipt_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_string();
    if !email.is_empty() && Email::parse(&email).is_err() {
        return Err("Enter a valid email for the receipt, or leave it empty.".into());
    }
    Ok(email)
}

/// The test gateway's form (no JavaScript).
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
    let mut page = build(&req, &state, &token, v).await?;
    let email = match receipt_email(&form.0.email) {
        Ok(e) => e,
        Err(message) => {
            page.email = form.0.email.trim().to_string();
            page.message = message;
            return respond(&state, StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if page.inv.status != InvoiceStatus::Open {
        return respond(&state, StatusCode::OK, &page);
    }
    let method = Method::TestCard {
        approve: form.0.card == "approve",
    };
    let attempt = uuid::Uuid::new_v4().to_string();
    let outcome = payments::pay(&state.core, &token, method, &email, &attempt).await;
    let fresh = svc::by_token(&state.core, &token).await?;
    let mut page = build(&req, &state, &token, fresh).await?;
    page.email = email;
    match outcome {
        Ok(_) => respond(&state, StatusCode::OK, &page),
        Err(
            e @ (InvoiceError::Declined(_)
            | InvoiceError::Refused(_)
            | InvoiceError::Mismatch
            | InvoiceError::Gateway(_)),
        ) => {
            page.message = crate::error::sentence(e);
            respond(&state, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CardParams {
    /// The card as Stripe.js tokenized it.
    payment_method: String,
    email: String,
    attempt: String,
}

/// A JSON answer for the pay page's script: `status` is `paid`, `action` (with the client
/// secret), `pending`, `declined` or `refused` (with a message to show).
fn answer(outcome: Result<Paying, InvoiceError>) -> AppResult<HttpResponse> {
    let body = match outcome {
        Ok(Paying::Paid) => json!({"status": "paid"}),
        Ok(Paying::Pending) => json!({"status": "pending"}),
        Ok(Paying::Action {
            reference,
            client_secret,
        }) => json!({"status": "action", "reference": reference, "client_secret": client_secret}),
        Err(e @ InvoiceError::Declined(_)) => {
            json!({"status": "declined", "message": crate::error::sentence(e)})
        }
        Err(e @ (InvoiceError::Refused(_) | InvoiceError::Mismatch | InvoiceError::Gateway(_))) => {
            json!({"status": "refused", "message": crate::error::sentence(e)})
        }
        Err(InvoiceError::NotFound) => {
            return Ok(HttpResponse::NotFound()
                .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                .json(json!({"status": "refused", "message": "This payment link is not valid."})))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body))
}

/// Charges the card Stripe.js tokenized (the number never reaches us).
async fn card(
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<CardParams>,
) -> AppResult<HttpResponse> {
    let p = form.0;
    let email = match receipt_email(&p.email) {
        Ok(e) => e,
        Err(message) => {
            return Ok(HttpResponse::UnprocessableEntity()
                .json(json!({"status": "refused", "field": "email", "message": message})))
        }
    };
    let id = p.payment_method.trim();
    if id.is_empty() || id.len() > 100 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Ok(HttpResponse::UnprocessableEntity()
            .json(json!({"status": "refused", "message": "Enter the card's details."})));
    }
    let attempt = if p.attempt.is_empty() {
        id.to_string()
    } else {
        format!("{}:{id}", p.attempt)
    };
    answer(
        payments::pay(
            &state.core,
            &token,
            Method::Token(id.into()),
            &email,
            &attempt,
        )
        .await,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReturnParams {
    reference: String,
    email: String,
}

/// Back from the bank's authentication: record what the gateway says of the attempt.
async fn returned(
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<ReturnParams>,
) -> AppResult<HttpResponse> {
    let email = receipt_email(&form.0.email).unwrap_or_default();
    answer(payments::returned(&state.core, &token, form.0.reference.trim(), &email).await)
}

/// The gateway's webhook: 200 once handled (also for an event without effect, so the gateway
/// stops sending it), 400 for a bad signature or body, 404 where the gateway sends none.
async fn webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let signature = req
        .headers()
        .get("Stripe-Signature")
        .and_then(|v| v.to_str().ok());
    match payments::webhook(&state.core, signature, &body).await? {
        Ok(delivery) => Ok(HttpResponse::Ok()
            .json(json!({"received": true, "applied": delivery == payments::Delivery::Applied}))),
        Err(crate::payments::WebhookError::NotTaken) => Ok(HttpResponse::NotFound().finish()),
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused");
            Ok(HttpResponse::BadRequest().json(json!({"error": e.to_string()})))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreditParams {
    amount: String,
}

/// Pays the invoice wholly or partly from the customer's credit (no sign-in: whoever holds the
/// link may spend the customer's credit on this invoice, and on nothing else).
async fn pay_from_credit(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<CreditParams>,
) -> AppResult<HttpResponse> {
    let v = match svc::by_token(&state.core, &token).await {
        Ok(v) => v,
        Err(InvoiceError::NotFound) => return invalid(&req),
        Err(e) => return Err(e.into()),
    };
    let invoice = v.invoice.id;
    let currency = v.invoice.due.currency;
    let result = async {
        let amount = credits::parse_amount(&form.0.amount, currency.code())?;
        svc::pay_from_credit(&state.core, &Actor::system("pay link"), invoice, amount).await
    }
    .await;
    let fresh = svc::by_token(&state.core, &token).await?;
    let mut page = build(&req, &state, &token, fresh).await?;
    match result {
        Ok(_) => respond(&state, StatusCode::OK, &page),
        Err(e @ (CreditError::NotFound | CreditError::Fault(_))) => Err(e.into()),
        Err(e) => {
            page.message = String::new();
            page.credit_amount = form.0.amount.trim().to_string();
            page.credit_message = crate::error::sentence(e);
            if page.credit_available.is_none() {
                page.message = page.credit_message.clone();
            }
            respond(&state, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// The invoice the link opens, as a PDF.
async fn pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    match svc::by_token(&state.core, &token).await {
        Ok(v) => crate::web::invoice_view::pdf_response(&v).await,
        Err(InvoiceError::NotFound) => invalid(&req),
        Err(e) => Err(e.into()),
    }
}
