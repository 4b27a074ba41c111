//! The partner's customers: the Account menu, "Add a Customer account" (link an existing
//! account or register a new one, with an eligibility check first), My Customers with its
//! CSV export, and each customer's page with its timeline, users and actions.
use actix_session::Session;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    ctx::Ctx, fmt_date, fmt_datetime, home::CompanyView, query_string, redirect_with, render,
    render_invalid, sort_headers, Day, FieldErrors, SortHeader,
};
use crate::{
    auth::{csrf::CsrfForm, PartnerUser},
    domain::{
        countries::COUNTRIES, eligibility::Verdict, money, registration::Status, CommissionRate,
        CountryCode, Email, Phone, PlainName,
    },
    error::{AppError, AppResult},
    services::{
        accounts::{self, BillingMode, NewAccount},
        audit::Actor,
        registrations::{self as regs, CustomerQuery, CustomerSort, NewCustomer, RegError, Terms},
    },
    startup::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(account_hub))
        .route("/customers", web::get().to(list))
        .route("/customers/export.csv", web::get().to(export))
        .route("/customers/new", web::get().to(new_page))
        .route("/customers/new", web::post().to(new_submit))
        .route("/customers/{id}", web::get().to(show))
        .route("/customers/{id}/resend", web::post().to(resend))
        .route("/customers/{id}/cancel", web::post().to(cancel))
        .route("/customers/{id}/end", web::post().to(end))
        .route("/customers/{id}/users/{user}", web::get().to(user_page));
}

pub const CUSTOMER_TYPES: &[&str] = &["CUSTOMER", "RESELLER", "PROSPECT"];

/// An option of a select list, marked when it is the current value.
pub struct Opt {
    pub value: &'static str,
    pub selected: bool,
}

pub fn options(all: &'static [&'static str], current: &str) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            value: v,
            selected: *v == current,
        })
        .collect()
}

impl From<RegError> for AppError {
    fn from(e: RegError) -> Self {
        match e {
            RegError::NotFound => AppError::NotFound,
            RegError::Other(e) => AppError::Unexpected(e),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "customers/account.html")]
struct AccountHub {
    ctx: Ctx,
    is_admin: bool,
}

async fn account_hub(req: HttpRequest, user: PartnerUser) -> AppResult<HttpResponse> {
    render(&AccountHub {
        ctx: Ctx::new(&req, Some(&user.current())),
        is_admin: user.is_admin(),
    })
}

// ------------------------------------------------------------------ My Customers

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    view: String,
    q: String,
    status: String,
    #[serde(rename = "type")]
    customer_type: String,
    sort: String,
    dir: String,
    page: Option<u64>,
}

pub struct Row {
    pub id: Uuid,
    pub company: String,
    pub name: String,
    pub account_active: bool,
    pub customer_type: String,
    pub status_label: &'static str,
    pub status_tone: &'static str,
    pub commission: CommissionRate,
    pub created: Day,
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    ctx: Ctx,
    org_view: bool,
    company: CompanyView,
    q: String,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    types: Vec<Opt>,
    headers: Vec<SortHeader>,
    rows: Vec<Row>,
    page: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
    export_href: String,
    filtered: bool,
}

const PER_PAGE: u64 = 50;

/// One line of the My Customers table (also rendered by the bench reference handler).
pub fn row(r: regs::CustomerRow) -> Row {
    let status = Status::parse(&r.registration.status).unwrap_or(Status::Cancelled);
    Row {
        id: r.registration.id,
        company: r.company_name,
        name: r.registration.friendly_name,
        account_active: r.account_active,
        customer_type: r.registration.customer_type,
        status_label: status.label(),
        status_tone: status.tone(),
        commission: CommissionRate::from_bp(r.registration.commission_bp),
        created: Day(r.registration.created_at),
    }
}

fn filters(p: &ListParams) -> (Option<Status>, String) {
    let status = Status::parse(&p.status);
    let t = if CUSTOMER_TYPES.contains(&p.customer_type.as_str()) {
        p.customer_type.clone()
    } else {
        String::new()
    };
    (status, t)
}

async fn list(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let (status, customer_type) = filters(&p);
    let sort = CustomerSort::parse(&p.sort);
    // Newest first unless asked otherwise.
    let desc = if p.dir.is_empty() {
        sort == CustomerSort::Created
    } else {
        p.dir == "desc"
    };
    let page = p.page.unwrap_or(1).max(1);
    let org_view = p.view == "org";
    let mut rows = if org_view {
        vec![]
    } else {
        regs::list(
            &state.core.db.read,
            user.org_id(),
            &CustomerQuery {
                q: p.q.clone(),
                status,
                customer_type: customer_type.clone(),
                sort,
                desc,
                offset: (page - 1) * PER_PAGE,
                limit: PER_PAGE,
                after: None,
            },
        )
        .await?
    };
    let has_next = rows.len() as u64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let dir = if desc { "desc" } else { "asc" };
    let base = |page: u64| {
        format!(
            "?{}page={page}",
            query_string(&[
                ("q", &p.q),
                ("status", &p.status),
                ("type", &customer_type),
                ("sort", sort.key()),
                ("dir", dir)
            ])
        )
    };
    let headers = sort_headers(
        &[
            ("Company", CustomerSort::Company.key()),
            ("Name", CustomerSort::Name.key()),
            ("Active", CustomerSort::Active.key()),
            ("Customer Type", CustomerSort::Type.key()),
            ("Status", CustomerSort::Status.key()),
            ("Commission", CustomerSort::Commission.key()),
            ("Added", CustomerSort::Created.key()),
        ],
        sort.key(),
        desc,
        &[("q", &p.q), ("status", &p.status), ("type", &customer_type)],
    );
    let statuses = crate::domain::registration::ALL_STATUSES
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    render(&ListPage {
        ctx: Ctx::new(&req, Some(&user.current())),
        org_view,
        company: (&user.partner).into(),
        filtered: !p.q.is_empty() || status.is_some() || !customer_type.is_empty(),
        export_href: format!(
            "/customers/export.csv?{}",
            query_string(&[("q", &p.q), ("status", &p.status), ("type", &customer_type)])
        ),
        q: p.q.clone(),
        status: p.status.clone(),
        statuses,
        types: options(CUSTOMER_TYPES, &customer_type),
        headers,
        rows: rows.into_iter().map(row).collect(),
        page,
        prev_href: (page > 1).then(|| base(page - 1)),
        next_href: has_next.then(|| base(page + 1)),
    })
}

/// Neutralises spreadsheet formulas: a cell starting with = + - @ or a control character is
/// prefixed with a quote (OWASP CSV injection).
pub fn csv_safe(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// The filtered list as CSV, streamed page by page (constant memory, keyset pagination).
async fn export(
    user: PartnerUser,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let (status, customer_type) = filters(&p);
    let partner_id = user.org_id();
    struct Cursor {
        state: web::Data<AppState>,
        after: Option<(DateTime<Utc>, Uuid)>,
        header: bool,
        done: bool,
    }
    let q = p.q.clone();
    let start = Cursor {
        state,
        after: None,
        header: true,
        done: false,
    };
    let stream = futures_util::stream::unfold(start, move |mut c| {
        let q = q.clone();
        let customer_type = customer_type.clone();
        async move {
            if c.done {
                return None;
            }
            let mut w = csv::Writer::from_writer(Vec::new());
            if c.header {
                c.header = false;
                let _ = w.write_record([
                    "Company",
                    "Name",
                    "Email",
                    "Active",
                    "Customer Type",
                    "Usage",
                    "Coming Expiry Date",
                    "Status",
                    "Commission",
                    "Added",
                ]);
            }
            let batch = regs::list(
                &c.state.core.db.read,
                partner_id,
                &CustomerQuery {
                    q,
                    status,
                    customer_type,
                    sort: CustomerSort::Created,
                    desc: true,
                    offset: 0,
                    limit: 500,
                    after: c.after,
                },
            )
            .await;
            let mut batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    return Some((
                        Err(actix_web::error::ErrorInternalServerError(e)),
                        Cursor { done: true, ..c },
                    ))
                }
            };
            if batch.len() <= 500 {
                c.done = true;
            }
            batch.truncate(500);
            if let Some(last) = batch.last() {
                c.after = Some((last.registration.created_at, last.registration.id));
            }
            for r in &batch {
                let status = Status::parse(&r.registration.status)
                    .map(|s| s.label())
                    .unwrap_or("");
                let _ = w.write_record([
                    csv_safe(&r.company_name),
                    csv_safe(&r.registration.friendly_name),
                    csv_safe(&r.primary_email),
                    if r.account_active {
                        "Yes".into()
                    } else {
                        "No".into()
                    },
                    csv_safe(&r.registration.customer_type),
                    String::new(),
                    String::new(),
                    status.to_string(),
                    CommissionRate::from_bp(r.registration.commission_bp).to_string(),
                    r.registration.created_at.format("%Y-%m-%d").to_string(),
                ]);
            }
            let bytes = w.into_inner().unwrap_or_default();
            Some((Ok::<_, actix_web::Error>(web::Bytes::from(bytes)), c))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"my-customers.csv\"",
        ))
        .streaming(stream))
}

// ------------------------------------------------------------------ Add a Customer account

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewParams {
    pub mode: String,
    pub action: String,
    // link an existing account
    pub email: String,
    pub friendly_name: String,
    pub partner_role: String,
    pub commission: String,
    pub customer_type: String,
    pub management_mode: String,
    // register a new customer
    pub company_name: String,
    pub active: String,
    pub admin_name: String,
    pub admin_email: String,
    pub country: String,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "customers/new.html")]
struct NewPage {
    ctx: Ctx,
    org_id: String,
    link_mode: bool,
    form: NewParams,
    errors: FieldErrors,
    verdicts: Vec<Verdict>,
    checked: bool,
    form_error: String,
    types: Vec<Opt>,
    countries: &'static [(&'static str, &'static str)],
}

#[derive(Deserialize)]
struct ModeQuery {
    mode: Option<String>,
}

fn page(
    req: &HttpRequest,
    user: &PartnerUser,
    form: NewParams,
    errors: FieldErrors,
    verdicts: Vec<Verdict>,
    checked: bool,
    form_error: String,
) -> NewPage {
    NewPage {
        types: options(CUSTOMER_TYPES, &form.customer_type),
        ctx: Ctx::new(req, Some(&user.current())),
        org_id: user.org_id().to_string(),
        link_mode: form.mode != "new",
        form,
        errors,
        verdicts,
        checked,
        form_error,
        countries: COUNTRIES,
    }
}

async fn new_page(
    req: HttpRequest,
    user: PartnerUser,
    q: web::Query<ModeQuery>,
) -> AppResult<HttpResponse> {
    let form = NewParams {
        mode: q
            .mode
            .clone()
            .filter(|m| m == "new")
            .unwrap_or_else(|| "link".into()),
        partner_role: "Partner".into(),
        customer_type: "CUSTOMER".into(),
        active: "on".into(),
        country: user.partner.country.clone(),
        ..Default::default()
    };
    render(&page(
        &req,
        &user,
        form,
        FieldErrors::default(),
        vec![],
        false,
        String::new(),
    ))
}

fn parse_terms(errors: &mut FieldErrors, p: &NewParams, fallback_name: &str) -> Option<Terms> {
    let name_raw = if p.friendly_name.trim().is_empty() {
        fallback_name
    } else {
        &p.friendly_name
    };
    let friendly_name = errors.check("friendly_name", PlainName::parse(name_raw, "friendly name"));
    let role_raw = if p.partner_role.trim().is_empty() {
        "Partner"
    } else {
        &p.partner_role
    };
    let partner_role = errors.check("partner_role", PlainName::parse(role_raw, "role"));
    let commission = errors.check("commission", CommissionRate::parse(&p.commission));
    let customer_type = if CUSTOMER_TYPES.contains(&p.customer_type.as_str()) {
        Some(p.customer_type.clone())
    } else {
        errors.add("customer_type", "Choose a customer type from the list.");
        None
    };
    Some(Terms {
        friendly_name: friendly_name?,
        partner_role: partner_role?,
        customer_type: customer_type?,
        commission: commission?,
        management_mode: p.management_mode == "on",
    })
}

async fn new_submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    form: CsrfForm<NewParams>,
) -> AppResult<HttpResponse> {
    let p = form.0;
    let mut errors = FieldErrors::default();
    let actor = Actor::user(&user.user);
    let result = if p.mode == "new" {
        let company = errors.check(
            "company_name",
            PlainName::parse(&p.company_name, "customer's company name"),
        );
        let admin_name = errors.check(
            "admin_name",
            PlainName::parse(&p.admin_name, "name of the customer's admin"),
        );
        let admin_email = errors.check("admin_email", Email::parse(&p.admin_email));
        let country = errors.check("country", CountryCode::parse(&p.country));
        let phone = if p.phone.trim().is_empty() {
            Some(None)
        } else {
            errors.check("phone", Phone::parse(&p.phone)).map(Some)
        };
        let terms = parse_terms(&mut errors, &p, &p.company_name);
        let (
            Some(company),
            Some(admin_name),
            Some(admin_email),
            Some(country),
            Some(phone),
            Some(terms),
        ) = (company, admin_name, admin_email, country, phone, terms)
        else {
            return render_invalid(&page(&req, &user, p, errors, vec![], false, String::new()));
        };
        let customer = NewCustomer {
            account: NewAccount {
                company_name: company,
                primary_email: admin_email,
                country,
                phone,
                data_center: "default".into(),
                tags: vec![],
                billing_mode: BillingMode::Prepaid,
                in_poc: false,
                active: p.active == "on",
            },
            admin_name,
            password_hash: None,
        };
        regs::add_new(&state.core, &actor, &user.partner, customer, terms, "web")
            .await
            .map(|(r, _)| r)
    } else {
        let email = errors.check("email", Email::parse(&p.email));
        if p.action == "check" {
            let Some(email) = email else {
                return render_invalid(&page(&req, &user, p, errors, vec![], false, String::new()));
            };
            let verdicts = regs::check_email(&state.core, user.org_id(), &email).await?;
            return render(&page(&req, &user, p, errors, verdicts, true, String::new()));
        }
        let terms = parse_terms(&mut errors, &p, &p.email);
        let (Some(email), Some(terms)) = (email, terms) else {
            return render_invalid(&page(&req, &user, p, errors, vec![], false, String::new()));
        };
        regs::add_existing(&state.core, &actor, &user.partner, &email, terms, "web").await
    };
    match result {
        Ok(reg) => Ok(redirect_with(
            &session,
            &format!("/customers/{}", reg.id),
            "success",
            "Request sent. The customer has been emailed a link to confirm; you will be told when they answer.",
        )),
        Err(RegError::Ineligible(verdicts)) => {
            let msg = "This account cannot be registered to you. Each rule that fails is listed below with what to do.".to_string();
            render_invalid(&page(&req, &user, p, errors, verdicts, true, msg))
        }
        Err(RegError::AccountExists) => {
            errors.add("admin_email", "An account with this email already exists. Switch to \"Link an existing account\" to register it.");
            render_invalid(&page(&req, &user, p, errors, vec![], false, String::new()))
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ one customer

pub struct TimelineEntry {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub last_sign_in: String,
}

#[derive(Template)]
#[template(path = "customers/show.html")]
struct ShowPage {
    ctx: Ctx,
    id: String,
    company: String,
    email: String,
    country: String,
    phone: String,
    tags: String,
    billing_mode: String,
    account_active: bool,
    friendly_name: String,
    partner_role: String,
    customer_type: String,
    commission: String,
    management_mode: bool,
    status: Status,
    reason: String,
    created: String,
    expires: String,
    credit: String,
    timeline: Vec<TimelineEntry>,
    users: Vec<UserRow>,
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// People read "registration.confirmed" as "Confirmed".
pub fn action_label(action: &str) -> String {
    let tail = action
        .rsplit('.')
        .next()
        .unwrap_or(action)
        .replace('_', " ");
    let mut c = tail.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

async fn show(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let reg = regs::for_partner(&state.core.db.read, user.org_id(), parse_id(&id)?).await?;
    let account = accounts::find(&state.core.db.read, reg.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let status = Status::parse(&reg.status).unwrap_or(Status::Cancelled);
    let timeline = regs::timeline(&state.core.db.read, reg.id)
        .await?
        .into_iter()
        .map(|e| TimelineEntry {
            when: fmt_datetime(&e.at),
            actor: e.actor_label,
            action: action_label(&e.action),
            detail: e.detail,
        })
        .collect();
    // A partner sees the account's users and money only once the relationship is active.
    let (users, credit) = if status == Status::Active {
        let users = accounts::users_of(&state.core.db.read, account.id)
            .await?
            .into_iter()
            .map(|u| UserRow {
                id: u.id.to_string(),
                name: u.name,
                email: u.email,
                role: u.role,
                last_sign_in: u
                    .last_sign_in_at
                    .as_ref()
                    .map(fmt_datetime)
                    .unwrap_or_else(|| "Never".into()),
            })
            .collect();
        let credit = accounts::balances(&state.core.db.read, account.id)
            .await?
            .iter()
            .filter(|(a, _)| *a != 0)
            .map(|(a, c)| money::format(*a, c))
            .collect::<Vec<_>>()
            .join(", ");
        (
            users,
            if credit.is_empty() {
                "None".into()
            } else {
                credit
            },
        )
    } else {
        (vec![], String::new())
    };
    render(&ShowPage {
        ctx: Ctx::new(&req, Some(&user.current())),
        id: reg.id.to_string(),
        company: account.company_name,
        email: account.primary_email,
        country: crate::domain::countries::name(&account.country)
            .unwrap_or(&account.country)
            .to_string(),
        phone: account.phone,
        tags: account.tags,
        billing_mode: account.billing_mode,
        account_active: account.active,
        friendly_name: reg.friendly_name,
        partner_role: reg.partner_role,
        customer_type: reg.customer_type,
        commission: CommissionRate::from_bp(reg.commission_bp).to_string(),
        management_mode: reg.management_mode,
        status,
        reason: reg.reason.unwrap_or_default(),
        created: fmt_datetime(&reg.created_at),
        expires: reg
            .expires_at
            .as_ref()
            .map(fmt_datetime)
            .unwrap_or_default(),
        credit,
        timeline,
        users,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReasonParams {
    reason: String,
}

fn back_with(
    session: &Session,
    id: Uuid,
    result: Result<String, RegError>,
) -> AppResult<HttpResponse> {
    let to = format!("/customers/{id}");
    match result {
        Ok(msg) => Ok(redirect_with(session, &to, "success", &msg)),
        Err(RegError::NotAllowed(e)) => {
            let mut m = e.to_string();
            m[..1].make_ascii_uppercase();
            Ok(redirect_with(session, &to, "error", &format!("{m}.")))
        }
        Err(e) => Err(e.into()),
    }
}

async fn resend(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    _f: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let r = regs::resend(&state.core, &Actor::user(&user.user), user.org_id(), id).await;
    back_with(
        &session,
        id,
        r.map(|_| "A new link has been sent; the previous one no longer works.".into()),
    )
}

async fn cancel(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    _f: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let r = regs::cancel(&state.core, &Actor::user(&user.user), user.org_id(), id).await;
    back_with(
        &session,
        id,
        r.map(|_| "The request has been cancelled; its link no longer works.".into()),
    )
}

async fn end(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let r = regs::end(
        &state.core,
        &Actor::user(&user.user),
        regs::Ender::Partner(user.org_id()),
        id,
        &form.0.reason,
    )
    .await;
    back_with(
        &session,
        id,
        r.map(|_| "The relationship has ended. The customer and you have been emailed.".into()),
    )
}

#[derive(Template)]
#[template(path = "customers/user.html")]
struct UserPage {
    ctx: Ctx,
    registration_id: String,
    company: String,
    name: String,
    email: String,
    role: String,
    active: bool,
    created: String,
    last_sign_in: String,
}

async fn user_page(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, uid) = path.into_inner();
    let reg = regs::for_partner(&state.core.db.read, user.org_id(), parse_id(&id)?).await?;
    if Status::parse(&reg.status) != Some(Status::Active) {
        return Err(AppError::NotFound);
    }
    let uid = parse_id(&uid)?;
    let u = accounts::users_of(&state.core.db.read, reg.account_id)
        .await?
        .into_iter()
        .find(|u| u.id == uid)
        .ok_or(AppError::NotFound)?;
    let account = accounts::find(&state.core.db.read, reg.account_id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(&UserPage {
        ctx: Ctx::new(&req, Some(&user.current())),
        registration_id: reg.id.to_string(),
        company: account.company_name,
        name: u.name,
        email: u.email,
        role: u.role,
        active: u.active,
        created: fmt_date(&u.created_at),
        last_sign_in: u
            .last_sign_in_at
            .as_ref()
            .map(fmt_datetime)
            .unwrap_or_else(|| "Never".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_in_csv_cells() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_safe("+1"), "'+1");
        assert_eq!(csv_safe("-2"), "'-2");
        assert_eq!(csv_safe("@SUM(1)"), "'@SUM(1)");
        assert_eq!(csv_safe("Acme"), "Acme");
    }

    #[test]
    fn audit_actions_read_as_words() {
        assert_eq!(action_label("registration.confirmed"), "Confirmed");
        assert_eq!(action_label("account.service_added"), "Service added");
    }
}
