//! The audit log for provider staff: every recorded action, newest first, filtered by partner,
//! account, actor and dates, paged without counting the whole table.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::web::urls;
use crate::web::{ctx::Ctx, fmt_datetime, query_string, render};
use crate::{
    auth::StaffUser,
    error::AppResult,
    services::audit_log::{self, AuditQuery},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF_AUDIT, web::get().to(audit));
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditParams {
    partner: String,
    account: String,
    actor: String,
    from: String,
    to: String,
    page: Option<u64>,
}

/// An id shown by its first characters (enough to tell rows apart), linked by the whole.
pub struct ShortId {
    pub full: String,
    pub short: String,
}

impl ShortId {
    fn of(id: impl std::fmt::Display) -> Self {
        let full = id.to_string();
        Self {
            short: full[..8].to_string(),
            full,
        }
    }
}

pub struct EventRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub partner_id: Option<ShortId>,
    pub account_id: Option<ShortId>,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    ctx: Ctx,
    partner: String,
    account: String,
    actor: String,
    from: String,
    to: String,
    /// Filters that could not be read and were left out.
    notices: Vec<String>,
    rows: Vec<EventRow>,
    page: u64,
    has_next: bool,
    /// The query string without `page`, to which `page=N` is appended.
    base: String,
}

impl AuditPage {
    fn filtered(&self) -> bool {
        [
            &self.partner,
            &self.account,
            &self.actor,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|s| !s.trim().is_empty())
    }
}

const PER_PAGE: u64 = 50;
/// Deeper pages are refused by clamping: nobody reads 50 million events by paging.
const MAX_PAGE: u64 = 1_000_000;

fn parse_uuid(raw: &str, what: &str, notices: &mut Vec<String>) -> Option<Uuid> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    match Uuid::parse_str(s) {
        Ok(id) => Some(id),
        Err(_) => {
            notices.push(format!(
                "“{s}” is not {what} id (a UUID), so that filter was left out."
            ));
            None
        }
    }
}

fn parse_day(raw: &str, what: &str, notices: &mut Vec<String>) -> Option<NaiveDate> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            notices.push(format!(
                "“{s}” is not a date like 2026-11-23, so the {what} date was left out."
            ));
            None
        }
    }
}

fn start_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

async fn audit(
    req: HttpRequest,
    staff: StaffUser,
    state: web::Data<AppState>,
    params: web::Query<AuditParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let mut notices = Vec::new();
    let partner = parse_uuid(&p.partner, "a partner", &mut notices);
    let account = parse_uuid(&p.account, "an account", &mut notices);
    let from = parse_day(&p.from, "start", &mut notices);
    let to = parse_day(&p.to, "end", &mut notices);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            notices.push("The start date is after the end date, so no event can match.".into());
        }
    }
    let page = p.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let mut events = audit_log::list(
        &state.core,
        &AuditQuery {
            partner,
            account,
            actor: p.actor.clone(),
            from: from.map(start_of),
            // "To" is inclusive: everything before the next day starts.
            before: to.and_then(|d| d.succ_opt()).map(start_of),
            offset: (page - 1) * PER_PAGE,
            limit: PER_PAGE,
        },
    )
    .await?;
    let has_next = events.len() as u64 > PER_PAGE;
    events.truncate(PER_PAGE as usize);
    let rows = events
        .into_iter()
        .map(|e| EventRow {
            when: fmt_datetime(&e.at),
            actor: e.actor,
            action: e.action,
            detail: e.detail,
            partner_id: e.partner_id.map(ShortId::of),
            account_id: e.account_id.map(ShortId::of),
        })
        .collect();
    let base = query_string(&[
        ("partner", p.partner.trim()),
        ("account", p.account.trim()),
        ("actor", p.actor.trim()),
        ("from", p.from.trim()),
        ("to", p.to.trim()),
    ]);
    render(&AuditPage {
        ctx: Ctx::new(&req, Some(&staff.principal())),
        partner: p.partner,
        account: p.account,
        actor: p.actor,
        from: p.from,
        to: p.to,
        notices,
        rows,
        page,
        has_next,
        base,
    })
}
