//! Partner self-registration, email first: ask for an address, email a link, the link opens
//! the registration form, submitting it creates the partner org.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ctx::Ctx,
    public::auth::{link_problem, parse_new_password},
    redirect_with, render, render_invalid, FieldErrors,
};
use crate::{
    auth::csrf::CsrfForm,
    domain::{countries, CountryCode, Phone, PlainName},
    error::AppResult,
    services::{
        partners::{self as svc, SignupDetails},
        signup::{self, SignupError, SignupKind},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    crate::web::public::signup::email_routes(cfg, SignupKind::Partner);
    cfg.route(urls::PARTNER_REGISTER_LINK, web::get().to(form_page))
        .route(urls::PARTNER_REGISTER_LINK, web::post().to(form_submit));
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RegisterParams {
    pub company_name: String,
    pub contact_name: String,
    pub country: String,
    pub phone: String,
    pub password: String,
    pub password_confirm: String,
}

#[derive(Template)]
#[template(path = "partners/register_form.html")]
struct FormPage {
    ctx: Ctx,
    token: String,
    email: String,
    form: RegisterParams,
    errors: FieldErrors,
    countries: &'static [(&'static str, &'static str)],
}

const RETRY: (&str, &str) = (SignupKind::Partner.path(), "Start the registration again");

async fn form_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    match signup::link_email(&state.core, SignupKind::Partner, &token).await {
        Ok(email) => render(&FormPage {
            ctx: Ctx::new(&req, None),
            token: token.into_inner(),
            email,
            form: RegisterParams::default(),
            errors: FieldErrors::default(),
            countries: countries::by_name(),
        }),
        Err(SignupError::Link(p)) => link_problem(&req, p, RETRY.0, RETRY.1),
        Err(e) => Err(e.into()),
    }
}

async fn form_submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<RegisterParams>,
) -> AppResult<HttpResponse> {
    let email = match signup::link_email(&state.core, SignupKind::Partner, &token).await {
        Ok(email) => email,
        Err(SignupError::Link(p)) => return link_problem(&req, p, RETRY.0, RETRY.1),
        Err(e) => return Err(e.into()),
    };
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
    let password = parse_new_password(&mut errors, &p.password, &p.password_confirm, Some(&email));
    let (Some(company_name), Some(contact_name), Some(country), Some(phone), Some(password)) =
        (company_name, contact_name, country, phone, password)
    else {
        let mut kept = p;
        kept.password.clear();
        kept.password_confirm.clear();
        return render_invalid(&FormPage {
            ctx: Ctx::new(&req, None),
            token: token.into_inner(),
            email,
            form: kept,
            errors,
            countries: countries::by_name(),
        });
    };
    let details = SignupDetails {
        company_name,
        contact_name,
        country,
        phone,
        password,
    };
    match svc::complete_signup(&state.core, &token, details).await {
        Ok(partner) => Ok(redirect_with(
            &session,
            urls::LOGIN,
            "success",
            &format!(
                "{} is registered. We sent a confirmation to {}. Sign in to continue.",
                partner.company_name, email
            ),
        )),
        Err(SignupError::Link(p)) => link_problem(&req, p, RETRY.0, RETRY.1),
        Err(SignupError::EmailTaken) => Ok(redirect_with(
            &session,
            urls::LOGIN,
            "info",
            "This email address already has an account. Sign in, or reset your password.",
        )),
        Err(e) => Err(e.into()),
    }
}
