//! Provider staff review partner–customer registrations: the queue of requests customers have
//! confirmed, and one registration in any status with its terms, every eligibility rule checked
//! again now, its history, and approving, rejecting or ending it.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_datetime, parse_id, query_string, redirect_with, render,
    render_invalid, Confirmation, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    domain::{
        countries,
        eligibility::Verdict,
        registration::{parse_reason, Event},
        AccountId, Channel, CommissionRate, CustomerType, PartnerId, RegistrationId,
    },
    error::AppResult,
    services::registrations::{self as regs, Ender, RegError, Review},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF_APPROVALS, web::get().to(queue))
        .route(urls::STAFF_APPROVAL, web::get().to(show))
        .route(urls::STAFF_APPROVAL_APPROVE, web::post().to(approve))
        .route(urls::STAFF_APPROVAL_REJECT, web::post().to(reject))
        .route(urls::STAFF_APPROVAL_END, web::post().to(end));
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// "3 days", "5 hours", "12 minutes": how long a request has waited.
fn waited(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(since) = since else {
        return "–".into();
    };
    let d = now - since;
    if d.num_days() >= 1 {
        plural(d.num_days(), "day")
    } else if d.num_hours() >= 1 {
        plural(d.num_hours(), "hour")
    } else if d.num_minutes() >= 1 {
        plural(d.num_minutes(), "minute")
    } else {
        "just now".into()
    }
}

// ---------- The queue ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueParams {
    q: String,
}

pub struct QueueRow {
    pub id: RegistrationId,
    pub partner: String,
    pub customer: String,
    pub friendly_name: String,
    pub role: String,
    pub commission: CommissionRate,
    pub confirmed: String,
    pub waiting: String,
}

#[derive(Template)]
#[template(path = "staff/approvals.html")]
struct QueuePage {
    ctx: Ctx,
    q: String,
    rows: Vec<QueueRow>,
    /// The service returns at most this many; say so when the queue is that long.
    capped: bool,
}

/// What `registrations::approval_queue` returns at most.
const QUEUE_CAP: usize = 500;

async fn queue(
    req: HttpRequest,
    staff: StaffUser,
    state: web::Data<AppState>,
    params: web::Query<QueueParams>,
) -> AppResult<HttpResponse> {
    let q = params.into_inner().q;
    let now = state.core.now();
    let rows: Vec<QueueRow> = regs::approval_queue(&state.core, &q)
        .await?
        .into_iter()
        .map(|item| (item.registration, item.partner, item.account))
        .map(|(r, partner, customer)| QueueRow {
            id: r.id,
            partner,
            customer,
            friendly_name: r.friendly_name,
            role: r.partner_role,
            commission: r.commission,
            confirmed: r
                .confirmed_at
                .as_ref()
                .map(fmt_datetime)
                .unwrap_or_default(),
            waiting: waited(r.confirmed_at, now),
        })
        .collect();
    render(&QueuePage {
        ctx: Ctx::new(&req, Some(&staff.principal())),
        capped: rows.len() >= QUEUE_CAP,
        q,
        rows,
    })
}

// ---------- One registration ----------

pub struct RuleRow {
    pub title: &'static str,
    pub passed: bool,
    pub message: String,
}

impl From<&Verdict> for RuleRow {
    fn from(v: &Verdict) -> Self {
        Self {
            title: v.rule.staff_title(),
            passed: v.passed,
            message: v.message.clone(),
        }
    }
}

pub struct EventRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "staff/approval.html")]
struct ApprovalPage {
    ctx: Ctx,
    id: RegistrationId,
    partner_id: PartnerId,
    partner_name: String,
    partner_country: String,
    partner_active: bool,
    /// Search link to the partner in the partner directory.
    partner_href: String,
    account_id: AccountId,
    account_name: String,
    account_email: String,
    friendly_name: String,
    role: String,
    customer_type: CustomerType,
    commission: CommissionRate,
    management_mode: bool,
    status_label: &'static str,
    status_tone: &'static str,
    /// What the state machine allows staff now.
    can_decide: bool,
    can_end: bool,
    created_via: &'static str,
    created_by: String,
    created: String,
    confirmed: String,
    activated: String,
    reason: Option<String>,
    rules: Vec<RuleRow>,
    all_pass: bool,
    history: Vec<EventRow>,
    /// Why the last action was refused, shown above everything.
    refusal: Option<String>,
    /// The rules that made the service refuse the approval.
    refused_rules: Vec<RuleRow>,
    /// The reason typed into the reject or end form.
    reason_value: String,
    errors: FieldErrors,
}

/// What a refused action sends back into the page.
#[derive(Default)]
struct Outcome {
    /// Verdicts from the service, which replace the page's own re-check.
    verdicts: Option<Vec<Verdict>>,
    refusal: Option<String>,
    reason_value: String,
    errors: FieldErrors,
}

async fn load(state: &AppState, id: RegistrationId) -> AppResult<Review> {
    Ok(regs::review(&state.core, id).await?)
}

async fn approval_page(
    req: &HttpRequest,
    staff: &StaffUser,
    state: &AppState,
    review: Review,
    outcome: Outcome,
) -> AppResult<ApprovalPage> {
    let Review {
        registration: r,
        partner,
        account,
        timeline,
    } = review;
    let refused_rules: Vec<RuleRow> = outcome
        .verdicts
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|v| !v.passed)
        .map(RuleRow::from)
        .collect();
    let verdicts = match outcome.verdicts {
        Some(v) => v,
        None => regs::recheck(&state.core, r.id).await?,
    };
    let history = timeline
        .into_iter()
        .map(|e| EventRow {
            when: fmt_datetime(&e.at),
            action: e.action_label(),
            actor: e.actor,
            detail: e.detail,
        })
        .collect();
    let opt_time = |t: &Option<DateTime<Utc>>| t.as_ref().map(fmt_datetime).unwrap_or_default();
    Ok(ApprovalPage {
        ctx: Ctx::new(req, Some(&staff.principal())),
        id: r.id,
        partner_id: partner.id,
        partner_href: format!(
            "{}?{}",
            urls::STAFF_PARTNERS,
            query_string(&[("q", &partner.id.to_string())]).trim_end_matches('&')
        ),
        partner_name: partner.company_name,
        partner_country: countries::name(&partner.country)
            .unwrap_or(&partner.country)
            .to_string(),
        partner_active: partner.active,
        account_id: account.id,
        account_name: account.company_name,
        account_email: account.primary_email,
        friendly_name: r.friendly_name,
        role: r.partner_role,
        customer_type: r.customer_type,
        commission: r.commission,
        management_mode: r.management_mode,
        status_label: r.status.label(),
        status_tone: r.status.tone(),
        can_decide: r.status.allows(Event::StaffApproves),
        can_end: r.status.allows(Event::StaffEnds),
        created_via: match r.created_via {
            Channel::Api => "the partner API",
            Channel::Web => "the partner portal",
        },
        created_by: r.created_by,
        created: fmt_datetime(&r.created_at),
        confirmed: opt_time(&r.confirmed_at),
        activated: opt_time(&r.activated_at),
        reason: r.reason,
        all_pass: verdicts.iter().all(|v| v.passed),
        rules: verdicts.iter().map(RuleRow::from).collect(),
        history,
        refusal: outcome.refusal,
        refused_rules,
        reason_value: outcome.reason_value,
        errors: outcome.errors,
    })
}

async fn show(
    req: HttpRequest,
    staff: StaffUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let review = load(&state, parse_id(&id)?).await?;
    render(&approval_page(&req, &staff, &state, review, Outcome::default()).await?)
}

/// A form that carries nothing but its CSRF token.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NoFields {}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReasonParams {
    reason: String,
    /// `yes` once the confirmation page was seen (ending).
    confirmed: String,
}

/// The transition was refused because the registration moved on meanwhile (someone else
/// acted, or the partner cancelled): say so on the registration's page.
fn moved_on(session: &Session, id: RegistrationId, e: &regs::RegError) -> HttpResponse {
    let msg = match e {
        RegError::NotAllowed(n) => format!(
            "Nothing changed: the request is {} now, so it cannot be {}.",
            n.from.label().to_lowercase(),
            n.event.as_str()
        ),
        other => format!("Nothing changed: {other}."),
    };
    redirect_with(session, &urls::staff_approval(id), "error", &msg)
}

async fn approve(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let review = load(&state, id).await?;
    match regs::approve(&state.core, &staff.actor(), id).await {
        Ok(_) => Ok(redirect_with(
            &session,
            urls::STAFF_APPROVALS,
            "success",
            &format!(
                "Approved: {} is now an active customer of {}.",
                review.account.company_name, review.partner.company_name
            ),
        )),
        Err(RegError::Ineligible(verdicts)) => {
            let outcome = Outcome {
                verdicts: Some(verdicts),
                refusal: Some(format!(
                    "{} was not approved: these rules fail now.",
                    review.account.company_name
                )),
                ..Outcome::default()
            };
            render_invalid(&approval_page(&req, &staff, &state, review, outcome).await?)
        }
        Err(e @ RegError::NotAllowed(_)) => Ok(moved_on(&session, id, &e)),
        Err(e) => Err(e.into()),
    }
}

async fn reject(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let review = load(&state, id).await?;
    let typed = form.0.reason;
    let reason = match parse_reason(&typed, true) {
        Ok(r) => r,
        Err(msg) => {
            let mut errors = FieldErrors::default();
            errors.add("reason", msg.0);
            let outcome = Outcome {
                reason_value: typed,
                errors,
                ..Outcome::default()
            };
            return render_invalid(&approval_page(&req, &staff, &state, review, outcome).await?);
        }
    };
    match regs::reject(&state.core, &staff.actor(), id, &reason).await {
        Ok(_) => Ok(redirect_with(
            &session,
            urls::STAFF_APPROVALS,
            "success",
            &format!(
                "Rejected: {} will not become a customer of {}. The partner has been told why.",
                review.account.company_name, review.partner.company_name
            ),
        )),
        Err(e @ RegError::NotAllowed(_)) => Ok(moved_on(&session, id, &e)),
        Err(e) => Err(e.into()),
    }
}

async fn end(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let review = load(&state, id).await?;
    let form_confirmed = form.0.confirmed;
    let typed = form.0.reason;
    let reason = match parse_reason(&typed, false) {
        Ok(r) => r,
        Err(msg) => {
            let mut errors = FieldErrors::default();
            errors.add("reason", msg.0);
            let outcome = Outcome {
                reason_value: typed,
                errors,
                ..Outcome::default()
            };
            return render_invalid(&approval_page(&req, &staff, &state, review, outcome).await?);
        }
    };
    if !confirmed(&form_confirmed) {
        return ask_first(
            &req,
            &staff.principal(),
            &Confirmation {
                title: format!(
                    "End {} as a customer of {}?",
                    review.account.company_name, review.partner.company_name
                ),
                explanation: "The relationship ends at once; the partner and the customer are \
                    emailed, with the reason if you gave one. They can only be linked again \
                    through a new request, confirmed and approved."
                    .into(),
                button: "End the relationship".into(),
                action: urls::staff_approval_end(id),
                back: urls::staff_approval(id),
                fields: vec![("reason", reason.clone())],
            },
        );
    }
    match regs::end(&state.core, &staff.actor(), Ender::Staff, id, &reason).await {
        Ok(_) => Ok(redirect_with(
            &session,
            urls::STAFF_APPROVALS,
            "success",
            &format!(
                "Ended: {} is no longer a customer of {}. Both have been told.",
                review.account.company_name, review.partner.company_name
            ),
        )),
        Err(e @ RegError::NotAllowed(_)) => Ok(moved_on(&session, id, &e)),
        Err(e) => Err(e.into()),
    }
}
