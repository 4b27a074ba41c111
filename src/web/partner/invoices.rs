//! An invoice for its partner (`/invoices/{id}`): the invoice as it prints, its payment link
//! with a Copy button (a read-only field ready to select without JavaScript), replacing the
//! link, and the invoice's history.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_datetime, invoice_view::InvoiceBody, parse_id,
    redirect_with, render, Confirmation,
};
use crate::{
    auth::{csrf::CsrfForm, PartnerUser},
    domain::invoice::InvoiceStatus,
    error::AppResult,
    services::invoices::{self as svc, InvoiceError},
    startup::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::INVOICE, web::get().to(page))
        .route(urls::INVOICE_LINK, web::post().to(replace_link));
}

pub struct HistoryRow {
    when: String,
    actor: String,
    action: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "invoices/invoice.html")]
struct Page {
    ctx: Ctx,
    inv: InvoiceBody,
    customer_href: String,
    /// The full payment link while the invoice is open.
    link: String,
    replace_action: String,
    history: Vec<HistoryRow>,
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let d = svc::for_partner(&state.core, user.org_id(), id).await?;
    let v = d.view;
    render(&Page {
        ctx: Ctx::new(&req, Some(&user.principal())),
        inv: InvoiceBody::from(&v),
        customer_href: urls::customer(crate::domain::RegistrationId(v.invoice.registration_id)),
        link: d.link.map(|l| state.core.links.url(&l)).unwrap_or_default(),
        replace_action: urls::invoice_link(id),
        history: d
            .history
            .into_iter()
            .map(|e| HistoryRow {
                when: fmt_datetime(&e.at),
                action: e.action_label(),
                actor: e.actor,
                detail: e.detail,
            })
            .collect(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmParams {
    confirmed: String,
}

async fn replace_link(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<ConfirmParams>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let d = svc::for_partner(&state.core, user.org_id(), id).await?;
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
    match svc::replace_link(&state.core, &user.actor(), user.org_id(), id).await {
        Ok(()) => Ok(redirect_with(
            &session,
            &urls::invoice(id),
            "success",
            "The payment link was replaced; the old one no longer works.",
        )),
        Err(e @ InvoiceError::Closed(_)) => Ok(redirect_with(
            &session,
            &urls::invoice(id),
            "error",
            &crate::error::sentence(e),
        )),
        Err(e) => Err(e.into()),
    }
}
