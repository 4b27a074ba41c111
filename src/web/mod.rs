//! The HTML face, grouped by who uses it: `public` (anyone), `partner`, `customer`, `staff`;
//! `urls` names every path. Each handler extracts, parses into domain types, calls a service
//! and renders a page or redirects. Handlers hold no SQL and no transaction, and never see an
//! entity model.
#[cfg(feature = "bench")]
pub mod bench;
pub mod ctx;
pub mod customer;
pub mod dev_mail;
pub mod invoice_list;
pub mod invoice_view;
pub mod invoices;
pub mod members;
pub mod partner;
pub mod price_list;
pub mod public;
pub mod revenue_chart;
pub mod staff;
pub mod urls;

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::{
    body::BoxBody,
    dev::{Service, ServiceRequest, ServiceResponse},
    http::header,
    web, FromRequest, HttpRequest, HttpResponse,
};
use askama::Template;

use crate::{
    auth::{session as sess, MaybePrincipal},
    domain::Invalid,
    error::{AppError, AppResult},
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    let static_dir = if std::path::Path::new("static").is_dir() {
        "static".to_string()
    } else {
        concat!(env!("CARGO_MANIFEST_DIR"), "/static").to_string()
    };
    cfg.route(urls::HEALTHZ, web::get().to(healthz))
        .service(actix_files::Files::new(urls::STATIC, static_dir))
        .configure(public::auth::routes)
        .configure(public::security::routes)
        .configure(public::invitations::routes)
        .configure(public::partner_signup::routes)
        .configure(public::pay::routes)
        .configure(invoice_list::routes)
        .configure(invoices::routes)
        .configure(staff::tax::routes)
        .configure(staff::credits::routes)
        .configure(staff::revenue::routes)
        .configure(staff::reminders::routes)
        .configure(partner::home::routes)
        .configure(partner::company_security::routes)
        .configure(partner::credit_limits::routes)
        // Before the customer's pages: `/customers/{id}/users/invite` is not a user's page.
        .configure(members::routes)
        .configure(partner::customers::routes)
        .configure(partner::apps::routes)
        .configure(customer::confirm::routes)
        .configure(customer::licenses::routes)
        .configure(customer::activity::routes)
        .configure(customer::records::routes)
        .configure(staff::partners::routes)
        .configure(staff::accounts::routes)
        .configure(staff::catalog::routes)
        .configure(staff::pricing::routes)
        .configure(partner::pricing::routes)
        .configure(partner::prices::routes)
        .configure(partner::credits::routes)
        .configure(partner::revenue::routes)
        .configure(partner::login_as::routes)
        .configure(partner::orders::routes)
        .configure(staff::approvals::routes)
        .configure(staff::credit_requests::routes)
        .configure(staff::audit::routes)
        .configure(dev_mail::routes)
        .default_service(web::to(not_found));
    #[cfg(feature = "bench")]
    if std::env::var("BENCH_ROUTES").is_ok_and(|v| v == "1") {
        cfg.configure(bench::routes);
    }
}

/// Error pages show the signed-in user's header: a handler's error is rendered without the
/// session (`AppError::error_response`), so a 403 or 404 would look signed out. Wraps the
/// routes, inside the session middleware.
pub fn error_pages_signed_in<S>(
    req: ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let response = srv.call(req);
    async move {
        let res = response.await?;
        let status = res.status();
        let Some(error) = res
            .response()
            .error()
            .and_then(|e| e.as_error::<AppError>())
        else {
            return Ok(res);
        };
        let Ok(MaybePrincipal(Some(principal))) = MaybePrincipal::extract(res.request()).await
        else {
            return Ok(res);
        };
        let Some(mut page) =
            error.page_with(ctx::Ctx::new(res.request(), Some(&principal)), status)
        else {
            return Ok(res);
        };
        for (name, value) in res.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                page.headers_mut().insert(name.clone(), value.clone());
            }
        }
        Ok(res.into_response(page))
    }
}

/// A bare handler: the reference point in benchmarks, and a liveness probe.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

pub fn render<T: Template>(page: &T) -> AppResult<HttpResponse> {
    render_status(actix_web::http::StatusCode::OK, page)
}

pub fn render_status<T: Template>(
    status: actix_web::http::StatusCode,
    page: &T,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.render()?))
}

/// A CSV export (see `services::export::csv`) as a download named `name`, sent as its pages
/// are read. A read that fails part-way is logged and ends the download short.
pub fn csv_download<E>(
    name: &str,
    csv: impl futures_util::Stream<Item = Result<web::Bytes, E>> + 'static,
) -> HttpResponse
where
    E: std::fmt::Debug + std::fmt::Display + 'static,
{
    use futures_util::StreamExt;
    // The body is sent after the handler returns, outside the request's scope.
    let request_id = crate::error::current_request_id();
    let body = csv.map(move |chunk| {
        chunk.map_err(|e| {
            tracing::error!(request_id = %request_id, error = ?e, "a CSV export failed part-way");
            actix_web::error::ErrorInternalServerError(e)
        })
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(body)
}

/// A form re-rendered because of bad input answers 422, so tools and tests can tell it apart.
pub fn render_invalid<T: Template>(page: &T) -> AppResult<HttpResponse> {
    render_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, page)
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// Redirects after an action with a message for the next page.
pub fn redirect_with(session: &Session, location: &str, kind: &str, message: &str) -> HttpResponse {
    sess::flash(session, kind, message);
    see_other(location)
}

/// What a destructive action says before it happens: the page asks, and only its own form
/// (which sends `confirmed=yes` with the fields it carries) does it. Works without JavaScript.
pub struct Confirmation {
    pub title: String,
    pub explanation: String,
    /// The button that does it, named for what it does.
    pub button: String,
    /// Where the form posts: the action's own path.
    pub action: String,
    /// Where "No, go back" leads.
    pub back: String,
    /// Hidden fields carried over from the first form (a reason typed there).
    pub fields: Vec<(&'static str, String)>,
}

/// Checkboxes the confirmation offers with the action (each sends `name=value` when ticked).
pub struct Choices {
    pub legend: String,
    pub hint: String,
    pub name: &'static str,
    /// (value, label), all ticked at first.
    pub options: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "confirm_action.html")]
struct ConfirmPage<'a> {
    ctx: ctx::Ctx,
    c: &'a Confirmation,
    choices: Option<&'a Choices>,
}

/// `confirmed=yes` came with the form: the person saw what will happen and went on.
pub fn confirmed(value: &str) -> bool {
    value == "yes"
}

/// The page that asks before a destructive action.
pub fn ask_first(
    req: &HttpRequest,
    who: &crate::auth::Principal,
    c: &Confirmation,
) -> AppResult<HttpResponse> {
    render(&ConfirmPage {
        ctx: ctx::Ctx::new(req, Some(who)),
        c,
        choices: None,
    })
}

/// The same page, offering `choices` to do in the same step.
pub fn ask_first_with(
    req: &HttpRequest,
    who: &crate::auth::Principal,
    c: &Confirmation,
    choices: &Choices,
) -> AppResult<HttpResponse> {
    render(&ConfirmPage {
        ctx: ctx::Ctx::new(req, Some(who)),
        c,
        choices: (!choices.options.is_empty()).then_some(choices),
    })
}

/// An id from a URL segment; anything that is not one is a page that does not exist.
pub fn parse_id<T: std::str::FromStr>(raw: &str) -> AppResult<T> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Only same-site paths are followed after sign-in (no open redirect).
pub fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\")).then_some(next)
}

pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Messages for the fields of a form, shown next to each field.
#[derive(Default, Debug)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }

    /// Keeps the parsed value, or records why it was refused.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, Invalid>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.0);
                None
            }
        }
    }

    pub fn has(&self, field: impl AsRef<str>) -> bool {
        self.0.contains_key(field.as_ref())
    }

    pub fn get(&self, field: impl AsRef<str>) -> &str {
        self.0.get(field.as_ref()).map(String::as_str).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every field with its message, for a form's error summary.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str()))
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date shown as "23 Nov 2026", written straight into a template. Spelled out rather than
/// through `format("%-d %b %Y")`, which parses its pattern on every call: a list page shows 50
/// of these (callgrind: 5 % of a page view).
#[derive(Clone, Copy)]
pub struct Day(pub chrono::DateTime<chrono::Utc>);

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Datelike;
        let t = self.0;
        write!(
            f,
            "{} {} {}",
            t.day(),
            MONTHS[t.month0() as usize],
            t.year()
        )
    }
}

/// "23 Nov 2026"
pub fn fmt_date(t: &chrono::DateTime<chrono::Utc>) -> String {
    Day(*t).to_string()
}

/// One event of a record's history, as its page lists it.
pub struct TimelineEntry {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A record's history (audit entries, oldest first) as its page lists it.
pub fn timeline(entries: Vec<crate::services::views::AuditEntry>) -> Vec<TimelineEntry> {
    entries
        .into_iter()
        .map(|e| TimelineEntry {
            when: fmt_datetime(&e.at),
            action: e.action_label(),
            actor: e.actor,
            detail: e.detail,
        })
        .collect()
}

/// A calendar date (a term's start or end) as "23 Nov 2026".
pub fn fmt_day(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// "23 Nov 2026, 14:05 UTC"
pub fn fmt_datetime(t: &chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    format!("{}, {:02}:{:02} UTC", fmt_date(t), t.hour(), t.minute())
}

/// Page links for server-side pagination.
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    /// The query string without `page`, to which `&page=N` is appended.
    pub base: String,
}

impl Pager {
    pub fn new(page: u64, per_page: u64, total: u64, base: String) -> Self {
        Self {
            page,
            pages: total.div_ceil(per_page).max(1),
            total,
            base,
        }
    }

    pub fn href(&self, page: impl std::borrow::Borrow<u64>) -> String {
        format!("?{}page={}", self.base, page.borrow())
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }
}

/// A sortable column header: its link and its current state.
pub struct SortHeader {
    pub label: &'static str,
    /// Empty for a column that cannot be sorted.
    pub href: String,
    /// "" | "sorted-asc" | "sorted-desc"
    pub class: &'static str,
}

/// Header links for `(label, sort key)` columns (an empty key: not sortable). The current
/// column's link flips its direction; the others sort ascending. `filters` are kept.
pub fn sort_headers(
    columns: &[(&'static str, &str)],
    current: &str,
    desc: bool,
    filters: &[(&str, &str)],
) -> Vec<SortHeader> {
    columns
        .iter()
        .map(|&(label, key)| {
            if key.is_empty() {
                return SortHeader {
                    label,
                    href: String::new(),
                    class: "",
                };
            }
            let is_current = key == current;
            let next_dir = if is_current && !desc { "desc" } else { "asc" };
            let mut pairs = filters.to_vec();
            pairs.push(("sort", key));
            pairs.push(("dir", next_dir));
            SortHeader {
                label,
                href: format!("?{}", query_string(&pairs)),
                class: match (is_current, desc) {
                    (false, _) => "",
                    (true, false) => "sorted-asc",
                    (true, true) => "sorted-desc",
                },
            }
        })
        .collect()
}

/// Builds a query string (`a=1&b=2&`) from pairs, URL-encoded, skipping empty values.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<_> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    let s = serde_urlencoded::to_string(&kept).unwrap_or_default();
    if s.is_empty() {
        s
    } else {
        s + "&"
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn dates_read_like_the_calendar() {
        let t = Utc.with_ymd_and_hms(2026, 1, 5, 9, 7, 59).unwrap();
        assert_eq!(fmt_date(&t), "5 Jan 2026");
        assert_eq!(fmt_datetime(&t), "5 Jan 2026, 09:07 UTC");
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 0).unwrap();
        assert_eq!(fmt_date(&t), "31 Dec 2026");
        assert_eq!(fmt_datetime(&t), "31 Dec 2026, 23:59 UTC");
    }
}
