//! Grants of promotional credit above a partner's monthly ceiling, waiting for the provider
//! (`/staff/credit-requests`): oldest first, each approved (the grant is applied) or refused
//! with a reason; the partner user who asked is emailed either way.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, fmt_datetime, parse_id, redirect_with, render, render_invalid};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    domain::Money,
    error::AppResult,
    services::credits::{self as svc, CreditError, GrantRequestView, QUEUE_CAP},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF_CREDIT_REQUESTS, web::get().to(queue))
        .route(urls::STAFF_CREDIT_REQUEST_APPROVE, web::post().to(approve))
        .route(urls::STAFF_CREDIT_REQUEST_REFUSE, web::post().to(refuse));
}

pub struct RequestRow {
    pub id: uuid::Uuid,
    pub partner: String,
    pub partner_href: String,
    pub customer: String,
    pub amount: Money,
    pub note: String,
    pub expires_on: String,
    pub requested_by: String,
    pub requested_at: String,
    /// The refusal's reason as typed, and why it was refused (a re-rendered form).
    pub reason: String,
    pub reason_error: String,
}

impl From<GrantRequestView> for RequestRow {
    fn from(r: GrantRequestView) -> Self {
        Self {
            id: r.id,
            partner_href: urls::staff_partner(r.partner_id),
            partner: r.partner,
            customer: r.customer,
            amount: r.amount,
            note: r.note,
            expires_on: r.expires_on.map(|d| d.to_string()).unwrap_or_default(),
            requested_by: r.requested_by,
            requested_at: fmt_datetime(&r.requested_at),
            reason: String::new(),
            reason_error: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/credit_requests.html")]
struct QueuePage {
    ctx: Ctx,
    rows: Vec<RequestRow>,
    capped: bool,
}

async fn build(req: &HttpRequest, staff: &StaffUser, state: &AppState) -> AppResult<QueuePage> {
    let rows: Vec<RequestRow> = svc::pending_requests(&state.core)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(QueuePage {
        ctx: Ctx::new(req, Some(&staff.principal())),
        capped: rows.len() as u64 >= QUEUE_CAP,
        rows,
    })
}

async fn queue(
    req: HttpRequest,
    staff: StaffUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    render(&build(&req, &staff, &state).await?)
}

/// A decision that found the request no longer decidable: say why on the queue.
fn not_decided(session: &Session, e: CreditError) -> AppResult<HttpResponse> {
    match e {
        CreditError::NotFound | CreditError::Fault(_) => Err(e.into()),
        e => Ok(redirect_with(
            session,
            urls::STAFF_CREDIT_REQUESTS,
            "error",
            &format!("Nothing changed. {}", crate::error::sentence(e)),
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoFields {}

async fn approve(
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    match svc::approve_request(&state.core, &staff.actor(), id).await {
        Ok(d) => Ok(redirect_with(
            &session,
            urls::STAFF_CREDIT_REQUESTS,
            "success",
            &format!(
                "Approved: {} of promotional credit from {} to {} is granted. The partner user \
                 who asked is told.",
                d.amount, d.partner, d.customer
            ),
        )),
        Err(e) => not_decided(&session, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RefuseParams {
    reason: String,
}

async fn refuse(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<RefuseParams>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let typed = form.0.reason;
    match svc::refuse_request(&state.core, &staff.actor(), id, &typed).await {
        Ok(d) => Ok(redirect_with(
            &session,
            urls::STAFF_CREDIT_REQUESTS,
            "success",
            &format!(
                "Refused: {} of promotional credit from {} to {} is not granted. The partner \
                 user who asked is told why.",
                d.amount, d.partner, d.customer
            ),
        )),
        Err(CreditError::Invalid { message, .. }) => {
            let mut page = build(&req, &staff, &state).await?;
            if let Some(row) = page.rows.iter_mut().find(|r| r.id == id) {
                row.reason = typed;
                row.reason_error = message;
            }
            render_invalid(&page)
        }
        Err(e) => not_decided(&session, e),
    }
}
