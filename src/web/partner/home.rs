//! The partner's home (its company, as in the vendor portal), the company profile, the
//! partner's own users and invitations to join.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_date, fmt_datetime, parse_id, redirect_with, render,
    render_invalid, see_other, Confirmation, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, MaybePrincipal, PartnerAdmin, PartnerUser, Principal},
    domain::{
        countries, CountryCode, Email, PartnerId, PartnerRole, Phone, PlainName, Status, UserId,
    },
    error::AppResult,
    services::{
        partners::{self as svc, CompanyDetails, PartnerError},
        registrations as regs,
        views::Partner,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::HOME, web::get().to(home))
        .route(urls::COMPANY, web::get().to(company))
        .route(urls::COMPANY, web::post().to(company_update))
        .route(urls::COMPANY_LOGIN_AS, web::post().to(login_as_setting))
        .route(urls::COMPANY_USERS, web::get().to(users_page))
        .route(urls::COMPANY_INVITE, web::post().to(invite))
        .route(urls::COMPANY_USER_DEACTIVATE, web::post().to(deactivate))
        .route(urls::COMPANY_USER_REACTIVATE, web::post().to(reactivate))
        .route(
            urls::COMPANY_INVITATION_RESEND,
            web::post().to(resend_invitation),
        )
        .route(
            urls::COMPANY_INVITATION_REVOKE,
            web::post().to(revoke_invitation),
        );
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

pub struct UserRow {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub active: bool,
    pub last_sign_in: String,
    pub is_me: bool,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct InviteParams {
    email: String,
    role: String,
}

#[derive(Template)]
#[template(path = "home/users.html")]
struct UsersPage {
    ctx: Ctx,
    company: CompanyView,
    users: Vec<UserRow>,
    /// Invitations sent and not yet accepted (admins only).
    invitations: Vec<InvitationRow>,
    is_admin: bool,
    form: InviteParams,
    errors: FieldErrors,
}

pub struct InvitationRow {
    pub id: uuid::Uuid,
    pub email: String,
    pub role: &'static str,
    pub sent: String,
    pub expires: String,
}

async fn users_render(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    form: InviteParams,
    errors: FieldErrors,
) -> AppResult<HttpResponse> {
    let rows = svc::list_users(&state.core, user.org_id())
        .await?
        .iter()
        .map(|u| UserRow {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.as_str(),
            active: u.active,
            last_sign_in: u
                .last_sign_in_at
                .as_ref()
                .map(fmt_datetime)
                .unwrap_or_else(|| "Never".into()),
            is_me: u.id == user.user.id,
        })
        .collect();
    let invitations = if user.is_admin() {
        svc::pending_invitations(&state.core, user.org_id())
            .await?
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id,
                email: i.email,
                role: i.role.as_str(),
                sent: fmt_datetime(&i.sent_at),
                expires: fmt_datetime(&i.expires_at),
            })
            .collect()
    } else {
        vec![]
    };
    let page = UsersPage {
        ctx: Ctx::new(req, Some(&user.principal())),
        company: (&user.partner).into(),
        users: rows,
        invitations,
        is_admin: user.is_admin(),
        form,
        errors,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    }
}

async fn users_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
) -> AppResult<HttpResponse> {
    let form = InviteParams {
        email: String::new(),
        role: "member".into(),
    };
    users_render(&req, &state, &user, form, FieldErrors::default()).await
}

async fn invite(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    form: CsrfForm<InviteParams>,
) -> AppResult<HttpResponse> {
    let user = admin.0;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&p.email));
    let role = errors.check("role", PartnerRole::parse(&p.role));
    if let (Some(email), Some(role)) = (email, role) {
        match svc::invite(&state.core, &user.user, &user.partner, &email, role).await {
            Ok(()) => {
                return Ok(redirect_with(
                    &session,
                    urls::COMPANY_USERS,
                    "success",
                    &format!("Invitation sent to {email}."),
                ))
            }
            Err(PartnerError::EmailTaken) => {
                errors.add("email", PartnerError::EmailTaken.to_string())
            }
            Err(e) => return Err(e.into()),
        }
    }
    users_render(&req, &state, &user, p, errors).await
}

#[derive(Deserialize)]
struct Empty {}

/// A form that is sent again from its confirmation page.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Confirm {
    confirmed: String,
}

async fn set_active(
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    active: bool,
) -> AppResult<HttpResponse> {
    let user = admin.0;
    let id = parse_id(&id)?;
    match svc::set_user_active(&state.core, &user.actor(), user.org_id(), id, active).await {
        Ok(u) => {
            let verb = if active { "reactivated" } else { "deactivated" };
            Ok(redirect_with(
                &session,
                urls::COMPANY_USERS,
                "success",
                &format!("{} has been {verb}.", u.name),
            ))
        }
        Err(PartnerError::SelfDeactivation) => Ok(redirect_with(
            &session,
            urls::COMPANY_USERS,
            "error",
            &PartnerError::SelfDeactivation.to_string(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// A new link for a pending invitation, to the same address with the same role; the old link
/// stops working.
async fn resend_invitation(
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let user = admin.0;
    let id: uuid::Uuid = parse_id(&id)?;
    let pending = svc::pending_invitations(&state.core, user.org_id())
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(crate::error::AppError::NotFound)?;
    let email = Email::parse(&pending.email).map_err(|_| crate::error::AppError::NotFound)?;
    svc::invite(&state.core, &user.user, &user.partner, &email, pending.role).await?;
    Ok(redirect_with(
        &session,
        urls::COMPANY_USERS,
        "success",
        &format!("A new invitation was sent to {email}; the previous link no longer works."),
    ))
}

async fn revoke_invitation(
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let user = admin.0;
    let email =
        svc::revoke_invitation(&state.core, &user.actor(), user.org_id(), parse_id(&id)?).await?;
    Ok(redirect_with(
        &session,
        urls::COMPANY_USERS,
        "success",
        &format!("The invitation to {email} is revoked; its link no longer works."),
    ))
}

async fn deactivate(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    form: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    if !confirmed(&form.0.confirmed) {
        let uid: UserId = parse_id(&id)?;
        // Only a user of the admin's own org; any other is "not found".
        let user = svc::list_users(&state.core, admin.0.org_id())
            .await?
            .into_iter()
            .find(|u| u.id == uid)
            .ok_or(crate::error::AppError::NotFound)?;
        return ask_first(
            &req,
            &admin.0.principal(),
            &Confirmation {
                title: format!("Deactivate {}?", user.name),
                explanation: "They are signed out everywhere at once and cannot sign in until \
                    an admin reactivates them. What they did stays recorded."
                    .into(),
                button: "Deactivate the user".into(),
                action: urls::company_user_deactivate(uid),
                back: urls::COMPANY_USERS.into(),
                fields: vec![],
            },
        );
    }
    set_active(session, state, admin, id, false).await
}

async fn reactivate(
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    set_active(session, state, admin, id, true).await
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
