//! The customer's side of a registration: the confirmation link (GET only shows the request;
//! confirming or declining is a POST from the page, since mail scanners prefetch links), the
//! signed-in customer's view of its partner, and customer self-signup.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first_with, confirmed,
    ctx::Ctx,
    fmt_date,
    public::auth::{link_problem, parse_new_password},
    redirect_with, render, render_invalid, render_status, Choices, Confirmation, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, CustomerUser},
    domain::{
        countries,
        registration::{Event, Status},
        CountryCode, Phone, PlainName, UserId,
    },
    error::{AppError, AppResult},
    services::{
        customer_signup::{self, Details},
        members::{self, By},
        registrations::{self as regs, ConfirmationView, Ender, RegError},
        signup::{self, SignupError, SignupKind},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    crate::web::public::signup::email_routes(cfg, SignupKind::Customer);
    cfg.route(urls::CONFIRM, web::get().to(confirm_page))
        .route(urls::CONFIRM, web::post().to(confirm_submit))
        .route(urls::MY_PARTNER, web::get().to(my_partner))
        .route(urls::MY_PARTNER_END, web::post().to(my_partner_end))
        .route(urls::CUSTOMER_SIGNUP_LINK, web::get().to(signup_form))
        .route(urls::CUSTOMER_SIGNUP_LINK, web::post().to(signup_complete));
}

#[derive(Template)]
#[template(path = "confirm/confirm.html")]
struct ConfirmPage {
    ctx: Ctx,
    token: String,
    partner: String,
    partner_country: String,
    customer: String,
    role: String,
    management_mode: bool,
    new_account: bool,
    errors: FieldErrors,
}

fn confirm_view(
    req: &HttpRequest,
    token: String,
    v: ConfirmationView,
    errors: FieldErrors,
) -> ConfirmPage {
    ConfirmPage {
        ctx: Ctx::new(req, None),
        token,
        partner_country: crate::domain::countries::name(&v.partner.country)
            .unwrap_or(&v.partner.country)
            .to_string(),
        partner: v.partner.company_name,
        customer: v.account.company_name,
        role: v.registration.partner_role,
        management_mode: v.registration.management_mode,
        new_account: v.needs_password,
        errors,
    }
}

const RETRY: (&str, &str) = (urls::LOGIN, "Go to sign-in");

async fn confirm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    match regs::confirmation(&state.core, &token).await {
        Ok(v) => render(&confirm_view(
            &req,
            token.into_inner(),
            v,
            FieldErrors::default(),
        )),
        Err(RegError::Link(p)) => link_problem(&req, p, RETRY.0, RETRY.1),
        Err(RegError::Answered { status, partner }) => answered_before(&req, status, &partner),
        Err(e) => Err(e.into()),
    }
}

/// A link whose request has moved on: where it is now, and what comes next.
fn answered_before(req: &HttpRequest, status: Status, partner: &str) -> AppResult<HttpResponse> {
    let (title, message) = match status {
        Status::PendingApproval => (
            "You confirmed this request".to_string(),
            format!(
                "The provider is reviewing it now. You will receive an email when {partner} \
                 becomes your partner; there is nothing more to do."
            ),
        ),
        Status::Active => (
            format!("{partner} is your partner"),
            "The provider approved the request. You can see your partner after signing in."
                .to_string(),
        ),
        Status::Declined => (
            "You declined this request".to_string(),
            format!("{partner} was told. Nothing changed on your account."),
        ),
        Status::Cancelled => (
            "This request was cancelled".to_string(),
            format!("{partner} cancelled it before you answered. Nothing changed on your account."),
        ),
        Status::Expired => (
            "This request has expired".to_string(),
            format!("It was not answered in time. Ask {partner} to send a new one if you want it."),
        ),
        Status::Rejected => (
            "The provider did not approve this request".to_string(),
            format!("{partner} was told why. Nothing changed on your account."),
        ),
        Status::Ended | Status::PendingCustomer => (
            "This relationship has ended".to_string(),
            format!("{partner} is no longer your partner."),
        ),
    };
    render_status(
        actix_web::http::StatusCode::GONE,
        &crate::web::public::auth::LinkProblemPage {
            ctx: Ctx::new(req, None),
            title,
            message,
            retry_href: RETRY.0.into(),
            retry_label: RETRY.1.into(),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AnswerParams {
    action: String,
    reason: String,
    password: String,
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "confirm/answered.html")]
struct AnsweredPage {
    ctx: Ctx,
    confirmed: bool,
    partner: String,
    new_account: bool,
}

async fn confirm_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<AnswerParams>,
) -> AppResult<HttpResponse> {
    let view = match regs::confirmation(&state.core, &token).await {
        Ok(v) => v,
        Err(RegError::Link(p)) => return link_problem(&req, p, RETRY.0, RETRY.1),
        Err(RegError::Answered { status, partner }) => {
            return answered_before(&req, status, &partner)
        }
        Err(e) => return Err(e.into()),
    };
    let p = form.0;
    let confirm = match p.action.as_str() {
        "confirm" => true,
        "decline" => false,
        _ => return Err(AppError::BadRequest("Choose Confirm or Decline.".into())),
    };
    let mut errors = FieldErrors::default();
    let password = if confirm && view.needs_password {
        match parse_new_password(
            &mut errors,
            &p.password,
            &p.password_confirm,
            Some(&view.account.primary_email),
        ) {
            Some(pw) => Some(pw),
            None => return render_invalid(&confirm_view(&req, token.into_inner(), view, errors)),
        }
    } else {
        None
    };
    let partner = view.partner.company_name.clone();
    let new_account = view.registration.new_account;
    match regs::answer(&state.core, &token, confirm, password.as_ref(), &p.reason).await {
        Ok(_) => render(&AnsweredPage {
            ctx: Ctx::new(&req, None),
            confirmed: confirm,
            partner,
            new_account,
        }),
        Err(RegError::Link(problem)) => link_problem(&req, problem, RETRY.0, RETRY.1),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "confirm/my_partner.html")]
struct MyPartnerPage {
    ctx: Ctx,
    partner: Option<PartnerInfo>,
}

struct PartnerInfo {
    company: String,
    contact: String,
    phone: String,
    country: String,
    role: String,
    status: Status,
    since: String,
    management_mode: bool,
    /// The customer may end the relationship now (the state machine's answer).
    can_end: bool,
    /// It could end, by an admin of the account (the hint for everyone else).
    endable: bool,
}

async fn my_partner(
    req: HttpRequest,
    customer: CustomerUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let live = regs::live_for_account(&state.core, customer.account_id).await?;
    let partner = live.map(|(reg, p)| PartnerInfo {
        contact: p.contact_name.clone(),
        phone: p.phone.clone(),
        company: p.company_name,
        country: crate::domain::countries::name(&p.country)
            .unwrap_or(&p.country)
            .to_string(),
        role: reg.partner_role,
        status: reg.status,
        can_end: reg.status.allows(Event::CustomerEnds) && customer.is_own_admin(),
        endable: reg.status.allows(Event::CustomerEnds),
        since: fmt_date(reg.activated_at.as_ref().unwrap_or(&reg.created_at)),
        management_mode: reg.management_mode,
    });
    render(&MyPartnerPage {
        ctx: Ctx::new(&req, Some(&customer.principal())),
        partner,
    })
}

async fn my_partner_end(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    customer: CustomerUser,
    form: CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    // Only the account's own admins end it: not a member, not a partner acting as an admin.
    if !customer.is_own_admin() {
        regs::end_refused(&state.core, &customer.actor(), customer.account_id).await?;
        return Err(AppError::Forbidden);
    }
    let value = |k: &str| {
        form.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let reason = value("reason");
    let Some((reg, partner)) = regs::live_for_account(&state.core, customer.account_id).await?
    else {
        return Ok(redirect_with(
            &session,
            urls::MY_PARTNER,
            "info",
            "Your account has no partner.",
        ));
    };
    let added = members::added_by(&state.core, customer.account_id, partner.id.uuid()).await?;
    if !confirmed(&value("confirmed")) {
        return ask_first_with(
            &req,
            &customer.principal(),
            &Confirmation {
                title: format!("End the relationship with {}?", partner.company_name),
                explanation: format!(
                    "{} stops being your partner at once and no longer sees your account. \
                     The invitations it sent that nobody accepted yet stop working. Your former \
                     partner and the provider are told. A partner can only become yours again \
                     through a new request that you confirm.",
                    partner.company_name
                ),
                button: "End the relationship".into(),
                action: urls::MY_PARTNER_END.into(),
                back: urls::MY_PARTNER.into(),
                fields: vec![("reason", reason)],
            },
            &Choices {
                legend: format!("Users {} added to your account", partner.company_name),
                hint: "Ticked users are removed in the same step: signed out everywhere, \
                       their seats taken back. You can restore them later."
                    .into(),
                name: "remove",
                options: added
                    .iter()
                    .map(|(id, label, role)| {
                        (id.to_string(), format!("{label} ({})", role.label()))
                    })
                    .collect(),
            },
        );
    }
    let by = Ender::Customer(customer.account_id);
    match regs::end(&state.core, &customer.actor(), by, reg.id, &reason).await {
        Ok(_) => {}
        Err(RegError::NotAllowed(_)) => return Ok(redirect_with(&session, urls::MY_PARTNER, "error", "Only an active relationship can be ended; a pending request can be declined from its email.")),
        Err(e) => return Err(e.into()),
    }
    // The users it added that the admin ticked, removed in the same step.
    let chosen: Vec<UserId> = form
        .0
        .iter()
        .filter(|(n, _)| n == "remove")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|id| added.iter().any(|(a, ..)| a == id))
        .collect();
    let team = members::manage(&state.core, customer.actor(), By::Member(customer.user())).await?;
    for id in &chosen {
        team.set_active(&state.core, *id, false).await?;
    }
    let removed = match chosen.len() {
        0 => String::new(),
        1 => " The user it added was removed.".into(),
        n => format!(" The {n} users it added were removed."),
    };
    Ok(redirect_with(
        &session,
        urls::MY_PARTNER,
        "success",
        &format!(
            "The relationship has ended. Your former partner and the provider have been told.{removed}"
        ),
    ))
}

// ------------------------------------------------------------------ customer self-signup

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct SignupParams {
    company_name: String,
    name: String,
    country: String,
    phone: String,
    password: String,
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "confirm/signup_form.html")]
struct SignupFormPage {
    ctx: Ctx,
    token: String,
    email: String,
    form: SignupParams,
    errors: FieldErrors,
    countries: &'static [(&'static str, &'static str)],
}

const SIGNUP_RETRY: (&str, &str) = (SignupKind::Customer.path(), "Start again");

async fn signup_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    match signup::link_email(&state.core, SignupKind::Customer, &token).await {
        Ok(email) => render(&SignupFormPage {
            ctx: Ctx::new(&req, None),
            token: token.into_inner(),
            email,
            form: SignupParams::default(),
            errors: FieldErrors::default(),
            countries: countries::by_name(),
        }),
        Err(SignupError::Link(p)) => link_problem(&req, p, SIGNUP_RETRY.0, SIGNUP_RETRY.1),
        Err(e) => Err(e.into()),
    }
}

async fn signup_complete(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<SignupParams>,
) -> AppResult<HttpResponse> {
    let email = match signup::link_email(&state.core, SignupKind::Customer, &token).await {
        Ok(e) => e,
        Err(SignupError::Link(p)) => return link_problem(&req, p, SIGNUP_RETRY.0, SIGNUP_RETRY.1),
        Err(e) => return Err(e.into()),
    };
    let p = form.0;
    let mut errors = FieldErrors::default();
    let company_name = errors.check(
        "company_name",
        PlainName::parse(&p.company_name, "company name"),
    );
    let name = errors.check("name", PlainName::parse(&p.name, "name"));
    let country = errors.check("country", CountryCode::parse(&p.country));
    let phone = if p.phone.trim().is_empty() {
        Some(None)
    } else {
        errors.check("phone", Phone::parse(&p.phone)).map(Some)
    };
    let password = parse_new_password(&mut errors, &p.password, &p.password_confirm, Some(&email));
    let (Some(company_name), Some(name), Some(country), Some(phone), Some(password)) =
        (company_name, name, country, phone, password)
    else {
        let mut kept = p;
        kept.password.clear();
        kept.password_confirm.clear();
        return render_invalid(&SignupFormPage {
            ctx: Ctx::new(&req, None),
            token: token.into_inner(),
            email,
            form: kept,
            errors,
            countries: countries::by_name(),
        });
    };
    match customer_signup::complete(
        &state.core,
        &token,
        Details {
            company_name,
            name,
            country,
            phone,
            password,
        },
    )
    .await
    {
        Ok(account) => Ok(redirect_with(
            &session,
            urls::LOGIN,
            "success",
            &format!(
                "The account of {} is ready. Sign in to continue.",
                account.company_name
            ),
        )),
        Err(SignupError::Link(p)) => link_problem(&req, p, SIGNUP_RETRY.0, SIGNUP_RETRY.1),
        Err(SignupError::EmailTaken) => Ok(redirect_with(
            &session,
            urls::LOGIN,
            "info",
            "This email address already has an account. Sign in, or reset your password.",
        )),
        Err(e) => Err(e.into()),
    }
}
