//! The partner's home (its company, as in the vendor portal) and the company profile (its
//! users are `web::members`).
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ctx::Ctx, fmt_date, fmt_datetime, redirect_with, render, render_invalid, see_other, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, MaybePrincipal, PartnerAdmin, PartnerUser, Principal},
    domain::{countries, CountryCode, PartnerId, Phone, PlainName, Status},
    error::AppResult,
    services::{
        partners::{self as svc, CompanyDetails},
        registrations as regs,
        views::Partner,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::HOME, web::get().to(home))
        .route(urls::COMPANY, web::get().to(company))
        .route(urls::COMPANY, web::post().to(company_update))
        .route(urls::COMPANY_LOGIN_AS, web::post().to(login_as_setting));
}

/// A partner org as its pages show it.
pub struct CompanyView {
    pub id: PartnerId,
    pub company_name: String,
    pub contact_name: String,
    pub country: String,
    pub country_name: String,
    pub phone: String,
    pub active: bool,
    pub joined: String,
    pub members_login_as: bool,
}

impl From<&Partner> for CompanyView {
    fn from(p: &Partner) -> Self {
        Self {
            id: p.id,
            company_name: p.company_name.clone(),
            contact_name: p.contact_name.clone(),
            country: p.country.clone(),
            country_name: countries::name(&p.country).unwrap_or("").to_string(),
            phone: p.phone.clone(),
            active: p.active,
            joined: fmt_date(&p.created_at),
            members_login_as: p.members_login_as,
        }
    }
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    ctx: Ctx,
    company: CompanyView,
    waiting_customer: String,
    waiting_approval: String,
    waiting_customer_href: String,
    waiting_approval_href: String,
    expiring: Vec<RecentRow>,
    activated: Vec<RecentRow>,
}

/// A customer on the home page, linked to its page.
struct RecentRow {
    href: String,
    company: String,
    name: String,
    when: String,
}

impl From<regs::Recent> for RecentRow {
    fn from(r: regs::Recent) -> Self {
        Self {
            href: urls::customer(r.id),
            company: r.company_name,
            name: r.friendly_name,
            when: fmt_datetime(&r.at),
        }
    }
}

/// A count that stops at `COUNT_CAP`, as people read it.
fn capped(n: u64) -> String {
    if n > regs::COUNT_CAP {
        format!("{}+", regs::COUNT_CAP)
    } else {
        n.to_string()
    }
}

async fn home(
    req: HttpRequest,
    user: MaybePrincipal,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    if user.0.is_some() && crate::auth::extractors::must_enrol(&req) {
        return Err(crate::error::AppError::SetUpSecondFactor);
    }
    let current = match user.0 {
        None => return Ok(see_other(urls::LOGIN)),
        Some(Principal::Staff(_)) => return Ok(see_other(urls::STAFF_APPROVALS)),
        Some(Principal::Customer { .. } | Principal::ActingAs(_)) => {
            return Ok(see_other(urls::MY_PARTNER))
        }
        Some(p) => p,
    };
    let partner = current.partner().ok_or(crate::error::AppError::Forbidden)?;
    let a = regs::attention(&state.core, partner.id).await?;
    let with_status = |status: &str| format!("{}?status={status}", urls::CUSTOMERS);
    render(&HomePage {
        company: partner.into(),
        waiting_customer: capped(a.waiting_customer),
        waiting_approval: capped(a.waiting_approval),
        waiting_customer_href: with_status(Status::PendingCustomer.as_str()),
        waiting_approval_href: with_status(Status::PendingApproval.as_str()),
        expiring: a.expiring.into_iter().map(Into::into).collect(),
        activated: a.activated.into_iter().map(Into::into).collect(),
        ctx: Ctx::new(&req, Some(&current)),
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CompanyParams {
    company_name: String,
    contact_name: String,
    country: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "home/company.html")]
struct CompanyPage {
    ctx: Ctx,
    company: CompanyView,
    can_edit: bool,
    form: CompanyParams,
    errors: FieldErrors,
    countries: &'static [(&'static str, &'static str)],
}

fn company_form(p: &Partner) -> CompanyParams {
    CompanyParams {
        company_name: p.company_name.clone(),
        contact_name: p.contact_name.clone(),
        country: p.country.clone(),
        phone: p.phone.clone(),
    }
}

async fn company(req: HttpRequest, user: PartnerUser) -> AppResult<HttpResponse> {
    render(&CompanyPage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        company: (&user.partner).into(),
        can_edit: user.is_admin(),
        form: company_form(&user.partner),
        errors: FieldErrors::default(),
        countries: countries::by_name(),
    })
}

async fn company_update(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    form: CsrfForm<CompanyParams>,
) -> AppResult<HttpResponse> {
    let user = admin.0;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let company_name = errors.check(
        "company_name",
        PlainName::parse(&p.company_name, "company name"),
    );
    let contact_name = errors.check(
        "contact_name",
        PlainName::parse(&p.contact_name, "contact name"),
    );
    let country = errors.check("country", CountryCode::parse(&p.country));
    let phone = errors.check("phone", Phone::parse(&p.phone));
    let (Some(company_name), Some(contact_name), Some(country), Some(phone)) =
        (company_name, contact_name, country, phone)
    else {
        return render_invalid(&CompanyPage {
            ctx: Ctx::new(&req, Some(&user.principal())),
            company: (&user.partner).into(),
            can_edit: true,
            form: p,
            errors,
            countries: countries::by_name(),
        });
    };
    let details = CompanyDetails {
        company_name,
        contact_name,
        country,
        phone,
    };
    svc::update_company(&state.core, &user.actor(), user.org_id(), details).await?;
    Ok(redirect_with(
        &session,
        urls::COMPANY,
        "success",
        "Company details saved.",
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginAsParams {
    /// "on" lets members Login As; anything else keeps it to admins.
    members: String,
}

/// An admin lets the company's members use Login As too (or keeps it to admins).
async fn login_as_setting(
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    form: CsrfForm<LoginAsParams>,
) -> AppResult<HttpResponse> {
    let on = form.0.members == "on";
    crate::services::partners::set_members_login_as(
        &state.core,
        &admin.0.actor(),
        admin.0.org_id(),
        on,
    )
    .await?;
    Ok(redirect_with(
        &session,
        urls::COMPANY,
        "success",
        if on {
            "Members may now use Login As on customers in management mode."
        } else {
            "Only admins may use Login As."
        },
    ))
}
