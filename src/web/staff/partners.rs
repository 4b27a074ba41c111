//! Provider staff pages: the partner directory with search, filter, sort and pages, and
//! suspending or reactivating a partner.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_date, parse_id, query_string, redirect_with, render,
    render_invalid, see_other, sort_headers, Confirmation, Pager, SortHeader,
};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    domain::{
        countries,
        grant_limits::{default_ceiling, DEFAULT_CEILING_MAJOR},
        Currency, Money, PartnerId, RegistrationId,
    },
    error::AppResult,
    services::{
        credits::{self, CreditError},
        staff::{self as svc, PartnerQuery, PartnerSort},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF, web::get().to(staff_home))
        .route(urls::STAFF_PARTNERS, web::get().to(partners))
        .route(urls::STAFF_PARTNER, web::get().to(partner_page))
        .route(urls::STAFF_PARTNER_SUSPEND, web::post().to(suspend))
        .route(urls::STAFF_PARTNER_REACTIVATE, web::post().to(reactivate))
        .route(
            urls::STAFF_USER_TWO_FACTOR_RESET,
            web::post().to(reset_two_factor),
        )
        .route(
            urls::STAFF_PARTNER_CREDIT_CEILING,
            web::post().to(credit_ceiling),
        );
}

/// Staff start with what waits for them.
async fn staff_home(_staff: StaffUser) -> HttpResponse {
    see_other(urls::STAFF_APPROVALS)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    q: String,
    status: String,
    sort: String,
    dir: String,
    page: Option<u64>,
}

pub struct PartnerRow {
    pub id: PartnerId,
    pub company_name: String,
    pub contact_name: String,
    pub country: String,
    pub country_name: String,
    pub active: bool,
    pub joined: String,
}

impl From<&crate::services::views::Partner> for PartnerRow {
    fn from(p: &crate::services::views::Partner) -> Self {
        Self {
            id: p.id,
            company_name: p.company_name.clone(),
            contact_name: p.contact_name.clone(),
            country: p.country.clone(),
            country_name: countries::name(&p.country).unwrap_or("").into(),
            active: p.active,
            joined: fmt_date(&p.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/partners.html")]
struct PartnersPage {
    ctx: Ctx,
    q: String,
    status: String,
    headers: Vec<SortHeader>,
    rows: Vec<PartnerRow>,
    pager: Pager,
}

const PER_PAGE: u64 = 25;

async fn partners(
    req: HttpRequest,
    staff: StaffUser,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let sort = PartnerSort::parse(&p.sort);
    let desc = p.dir == "desc";
    let page = p.page.unwrap_or(1).max(1);
    let list = svc::list_partners(
        &state.core,
        &PartnerQuery {
            q: p.q.clone(),
            status: p.status.clone(),
            sort,
            desc,
            page,
            per_page: PER_PAGE,
        },
    )
    .await?;
    let sort_key = |s: PartnerSort| match s {
        PartnerSort::Company => "company",
        PartnerSort::Contact => "contact",
        PartnerSort::Country => "country",
        PartnerSort::Status => "status",
        PartnerSort::Joined => "joined",
    };
    let dir = if desc { "desc" } else { "asc" };
    let headers = sort_headers(
        &[
            ("Company", "company"),
            ("Contact", "contact"),
            ("Country", "country"),
            ("Status", "status"),
            ("Joined", "joined"),
        ],
        sort_key(sort),
        desc,
        &[("q", &p.q), ("status", &p.status)],
    );
    let rows = list.rows.iter().map(PartnerRow::from).collect();
    let base = query_string(&[
        ("q", &p.q),
        ("status", &p.status),
        ("sort", sort_key(sort)),
        ("dir", dir),
    ]);
    render(&PartnersPage {
        ctx: Ctx::new(&req, Some(&staff.principal())),
        q: p.q,
        status: p.status,
        headers,
        rows,
        pager: Pager::new(page, PER_PAGE, list.total, base),
    })
}

/// A user as staff's partner and account pages list them, with their second factor (which
/// staff can reset, with a reason).
pub struct UserRow {
    pub id: crate::domain::UserId,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub active: bool,
    pub last_sign_in: String,
    pub two_factor: bool,
}

impl From<&crate::services::views::User> for UserRow {
    fn from(u: &crate::services::views::User) -> Self {
        Self {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.label(),
            active: u.active,
            last_sign_in: u
                .last_sign_in_at
                .as_ref()
                .map(crate::web::fmt_datetime)
                .unwrap_or_else(|| "Never".into()),
            two_factor: u.two_factor,
        }
    }
}

pub struct CustomerRow {
    pub registration_id: RegistrationId,
    pub company: String,
    pub name: String,
    pub status_label: &'static str,
    pub status_tone: &'static str,
    pub commission: String,
    pub added: String,
}

#[derive(Template)]
#[template(path = "staff/partner.html")]
struct PartnerPage {
    ctx: Ctx,
    partner: PartnerRow,
    contact: String,
    users: Vec<UserRow>,
    /// Where the partner's commission is paid.
    payout: Option<crate::services::partner_security::Payout>,
    customers: Vec<CustomerRow>,
    more_customers: bool,
    /// The partner's latest commission statements.
    statements: Vec<crate::services::revenue::StatementView>,
    statements_href: String,
    /// The monthly ceiling on the partner's promotional credit, per currency.
    ceilings: Vec<CeilingRow>,
    default_ceiling: i64,
}

/// One currency's ceiling with this month's figures, and the form's value and error.
pub struct CeilingRow {
    pub currency: &'static str,
    pub ceiling: Money,
    pub ceiling_set: bool,
    /// As the form shows it: empty when the default applies.
    pub value: String,
    pub error: String,
    pub month_granted: Money,
    pub pending: Money,
    pub member_limits: String,
}

impl PartnerPage {
    fn statement_href(&self, s: &crate::services::revenue::StatementView) -> String {
        urls::staff_revenue_statement(s.id)
    }

    fn month(&self, s: &crate::services::revenue::StatementView) -> String {
        crate::web::partner::revenue::month_name(&s.period)
    }
}

async fn partner_page(
    req: HttpRequest,
    staff: StaffUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    render(&build_partner_page(&req, &staff, &state, parse_id(&id)?).await?)
}

async fn build_partner_page(
    req: &HttpRequest,
    staff: &StaffUser,
    state: &AppState,
    id: PartnerId,
) -> AppResult<PartnerPage> {
    let d = svc::partner_detail(&state.core, id).await?;
    let ceilings = credits::limits_of(&state.core, id)
        .await?
        .into_iter()
        .map(|l| CeilingRow {
            currency: l.currency.code(),
            ceiling: l.ceiling,
            ceiling_set: l.ceiling_set,
            value: if l.ceiling_set {
                l.ceiling.amount_text()
            } else {
                String::new()
            },
            error: String::new(),
            month_granted: l.month_granted,
            pending: l.pending,
            member_limits: match (l.member_per_grant, l.member_per_month) {
                (Some(g), Some(m)) => format!("{g} per grant, {m} a month"),
                _ => "Not set: members grant nothing".into(),
            },
        })
        .collect();
    let p = d.partner;
    let statements = crate::services::revenue::statements_of(&state.core, p.id, 12).await?;
    Ok(PartnerPage {
        ctx: Ctx::new(req, Some(&staff.principal())),
        ceilings,
        default_ceiling: DEFAULT_CEILING_MAJOR,
        statements,
        statements_href: format!("{}?partner={}", urls::STAFF_REVENUE, p.id),
        contact: format!(
            "{}{}",
            p.contact_name,
            if p.phone.is_empty() {
                String::new()
            } else {
                format!(" · {}", p.phone)
            }
        ),
        partner: PartnerRow::from(&p),
        users: d.users.iter().map(UserRow::from).collect(),
        payout: crate::services::partner_security::payout(&state.core, p.id).await?,
        customers: d
            .customers
            .into_iter()
            .map(|r| CustomerRow {
                registration_id: r.id,
                company: r.company_name,
                name: r.friendly_name,
                status_label: r.status.label(),
                status_tone: r.status.tone(),
                commission: r.commission.to_string(),
                added: fmt_date(&r.created_at),
            })
            .collect(),
        more_customers: d.more_customers,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CeilingParams {
    currency: String,
    /// Empty: back to the default.
    ceiling: String,
}

/// Staff set the partner's monthly ceiling on promotional credit in one currency.
async fn credit_ceiling(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<CeilingParams>,
) -> AppResult<HttpResponse> {
    let id: PartnerId = parse_id(&id)?;
    let p = form.0;
    let currency =
        Currency::parse(&p.currency).map_err(|e| crate::error::AppError::BadRequest(e.0))?;
    let result = async {
        let ceiling = credits::parse_limit(&p.ceiling, currency, "ceiling")?;
        credits::set_ceiling(&state.core, &staff.actor(), id, currency, ceiling).await?;
        Ok::<_, CreditError>(ceiling)
    }
    .await;
    match result {
        Ok(ceiling) => Ok(redirect_with(
            &session,
            &urls::staff_partner(id),
            "success",
            &match ceiling {
                Some(c) => format!("The partner's monthly {currency} ceiling is now {c}."),
                None => format!(
                    "The partner's monthly {currency} ceiling is back to the default, {}.",
                    default_ceiling(currency)
                ),
            },
        )),
        Err(CreditError::Invalid { message, .. }) => {
            let mut page = build_partner_page(&req, &staff, &state, id).await?;
            if let Some(row) = page
                .ceilings
                .iter_mut()
                .find(|r| r.currency == currency.code())
            {
                row.value = p.ceiling;
                row.error = message;
            }
            render_invalid(&page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionParams {
    /// Where to return to (the list with its filters).
    back: String,
    /// `yes` once the confirmation page was seen (suspending).
    confirmed: String,
}

async fn set_active(
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    back: String,
    active: bool,
) -> AppResult<HttpResponse> {
    let partner =
        svc::set_partner_active(&state.core, &staff.actor(), parse_id(&id)?, active).await?;
    let back = crate::web::safe_next(&back)
        .filter(|b| b.starts_with(urls::STAFF_PARTNERS))
        .unwrap_or(urls::STAFF_PARTNERS);
    let msg = if active {
        format!(
            "{} is active again; its users can sign in.",
            partner.company_name
        )
    } else {
        format!(
            "{} is suspended; its users are signed out and cannot sign in.",
            partner.company_name
        )
    };
    Ok(redirect_with(&session, back, "success", &msg))
}

async fn suspend(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<ActionParams>,
) -> AppResult<HttpResponse> {
    if !confirmed(&form.0.confirmed) {
        let back = crate::web::safe_next(&form.0.back)
            .filter(|b| b.starts_with(urls::STAFF_PARTNERS))
            .unwrap_or(urls::STAFF_PARTNERS);
        return ask_first(
            &req,
            &staff.principal(),
            &Confirmation {
                title: "Suspend this partner?".into(),
                explanation: "Every user of the partner is signed out at once and cannot sign \
                    in, and its API apps are refused, until you reactivate it. Its customers \
                    and registrations stay as they are."
                    .into(),
                button: "Suspend the partner".into(),
                action: urls::staff_partner_suspend(parse_id::<PartnerId>(&id)?),
                back: back.into(),
                fields: vec![("back", form.0.back.clone())],
            },
        );
    }
    set_active(session, state, staff, id, form.0.back, false).await
}

async fn reactivate(
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<ActionParams>,
) -> AppResult<HttpResponse> {
    set_active(session, state, staff, id, form.0.back, true).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ResetParams {
    reason: String,
    /// The staff page the form is on (partner or account), to come back to.
    back: String,
}

/// Staff reset a user's second factor (a lost phone), with a reason: audited, the user is
/// emailed and signed out everywhere. Needs a fresh code of the staff member's own.
async fn reset_two_factor(
    req: HttpRequest,
    session: actix_session::Session,
    staff: StaffUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: crate::auth::csrf::CsrfForm<ResetParams>,
) -> AppResult<HttpResponse> {
    let p = form.0;
    let back = crate::web::safe_next(&p.back)
        .filter(|b| b.starts_with("/staff/"))
        .unwrap_or(urls::STAFF_PARTNERS)
        .to_string();
    crate::web::public::security::require_fresh_code(&req, &staff.user, &back)?;
    use crate::services::two_factor::{self as tf, ResetError};
    let (kind, message) =
        match tf::reset_by_staff(&state.core, &staff.actor(), parse_id(&id)?, &p.reason).await {
            Ok(()) => (
                "success",
                "The second factor was reset: the user is signed out everywhere, has been \
                 emailed, and sets it up again at the next sign-in."
                    .to_string(),
            ),
            Err(ResetError::Fault(f)) => return Err(f.into()),
            Err(ResetError::NotFound) => return Err(crate::error::AppError::NotFound),
            Err(e) => ("error", e.to_string()),
        };
    Ok(crate::web::redirect_with(&session, &back, kind, &message))
}
