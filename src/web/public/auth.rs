//! Sign-in, sign-out, password reset by email, password change.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ctx::Ctx, redirect_with, render, render_invalid, render_status, safe_next, see_other,
    FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, session as sess, MaybePrincipal, Principal},
    domain::{Email, NewPassword},
    error::AppResult,
    services::{
        auth::{self as svc, ChangePasswordError, ResetError, SignInError},
        tokens::LinkProblem,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::LOGIN, web::get().to(login_page))
        .route(urls::LOGIN, web::post().to(login))
        .route(urls::LOGOUT, web::post().to(logout))
        .route(urls::PASSWORD_FORGOT, web::get().to(forgot_page))
        .route(urls::PASSWORD_FORGOT, web::post().to(forgot))
        .route(urls::PASSWORD_RESET, web::get().to(reset_page))
        .route(urls::PASSWORD_RESET, web::post().to(reset))
        .route(urls::PASSWORD_CHANGE, web::get().to(change_page))
        .route(urls::PASSWORD_CHANGE, web::post().to(change));
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginParams {
    pub email: String,
    pub password: String,
    pub next: String,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: Ctx,
    email: String,
    next: String,
    error: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

use super::security::home_for;

async fn login_page(
    req: HttpRequest,
    user: MaybePrincipal,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    if let Some(p) = user.0 {
        return Ok(see_other(home_for(p.user().kind)));
    }
    render(&LoginPage {
        ctx: Ctx::new(&req, None),
        email: String::new(),
        next: q.next.clone().unwrap_or_default(),
        error: String::new(),
    })
}

async fn login(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: CsrfForm<LoginParams>,
) -> AppResult<HttpResponse> {
    let p = form.0;
    let result = svc::sign_in(
        &state.core,
        &p.email,
        &p.password,
        &crate::web::client_ip(&req),
    )
    .await;
    let (status, error) = match result {
        Ok(user) => {
            let target = safe_next(&p.next).unwrap_or(home_for(user.kind));
            if user.two_factor {
                // The password was right; the code comes next.
                sess::await_code(
                    &session,
                    &sess::Pending {
                        user: user.id.uuid(),
                        at: state.core.now(),
                        next: target.to_string(),
                    },
                );
                return Ok(see_other(urls::LOGIN_CODE));
            }
            return super::security::finish_sign_in(&req, &session, &state, &user, None, target)
                .await;
        }
        Err(SignInError::Throttled { .. }) => (
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            result.unwrap_err().to_string(),
        ),
        Err(e @ SignInError::Fault(_)) => return Err(e.into()),
        Err(e) => (actix_web::http::StatusCode::UNAUTHORIZED, e.to_string()),
    };
    render_status(
        status,
        &LoginPage {
            ctx: Ctx::new(&req, None),
            email: p.email,
            next: p.next,
            error,
        },
    )
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(session: Session, _form: CsrfForm<Empty>) -> HttpResponse {
    sess::sign_out(&session);
    redirect_with(
        &session,
        urls::LOGIN,
        "success",
        "You have been signed out.",
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailParams {
    email: String,
}

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    ctx: Ctx,
    email: String,
    errors: FieldErrors,
    sent: bool,
}

async fn forgot_page(req: HttpRequest) -> AppResult<HttpResponse> {
    render(&ForgotPage {
        ctx: Ctx::new(&req, None),
        email: String::new(),
        errors: FieldErrors::default(),
        sent: false,
    })
}

async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<EmailParams>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.0.email));
    let Some(email) = email else {
        return render_invalid(&ForgotPage {
            ctx: Ctx::new(&req, None),
            email: form.0.email,
            errors,
            sent: false,
        });
    };
    svc::request_password_reset(&state.core, &email).await?;
    render(&ForgotPage {
        ctx: Ctx::new(&req, None),
        email: email.to_string(),
        errors,
        sent: true,
    })
}

#[derive(Template)]
#[template(path = "auth/link_problem.html")]
pub struct LinkProblemPage {
    pub ctx: Ctx,
    pub title: String,
    pub message: String,
    /// Where a fresh link can be asked for.
    pub retry_href: String,
    pub retry_label: String,
}

/// The page for a used, expired or unknown link: 410 Gone for used/expired, 404 for unknown.
pub fn link_problem(
    req: &HttpRequest,
    problem: LinkProblem,
    retry_href: &str,
    retry_label: &str,
) -> AppResult<HttpResponse> {
    let status = match problem {
        LinkProblem::Unknown => actix_web::http::StatusCode::NOT_FOUND,
        _ => actix_web::http::StatusCode::GONE,
    };
    let title = match problem {
        LinkProblem::Unknown => "This link is not valid",
        LinkProblem::Used => "This link has already been used",
        LinkProblem::Expired => "This link has expired",
    };
    render_status(
        status,
        &LinkProblemPage {
            ctx: Ctx::new(req, None),
            title: title.into(),
            message: problem.to_string(),
            retry_href: retry_href.into(),
            retry_label: retry_label.into(),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewPasswordParams {
    password: String,
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    ctx: Ctx,
    token: String,
    errors: FieldErrors,
}

async fn reset_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    match svc::reset_link_status(&state.core, &token).await? {
        Ok(()) => render(&ResetPage {
            ctx: Ctx::new(&req, None),
            token: token.into_inner(),
            errors: FieldErrors::default(),
        }),
        Err(p) => link_problem(&req, p, urls::PASSWORD_FORGOT, "Send me a new link"),
    }
}

/// Checks a new password and its confirmation, recording messages under `password` and
/// `password_confirm`.
pub fn parse_new_password(
    errors: &mut FieldErrors,
    password: &str,
    confirm: &str,
    email: Option<&str>,
) -> Option<NewPassword> {
    let parsed = errors.check("password", NewPassword::parse(password, email));
    if parsed.is_some() && password != confirm {
        errors.add("password_confirm", "The two passwords do not match.");
        return None;
    }
    parsed
}

async fn reset(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<NewPasswordParams>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::default();
    let Some(pw) = parse_new_password(
        &mut errors,
        &form.0.password,
        &form.0.password_confirm,
        None,
    ) else {
        return render_invalid(&ResetPage {
            ctx: Ctx::new(&req, None),
            token: token.into_inner(),
            errors,
        });
    };
    match svc::reset_password(&state.core, &token, &pw).await {
        Ok(_) => {
            sess::sign_out(&session);
            Ok(redirect_with(
                &session,
                urls::LOGIN,
                "success",
                "Your password has been changed. Sign in with the new password.",
            ))
        }
        Err(ResetError::Link(p)) => {
            link_problem(&req, p, urls::PASSWORD_FORGOT, "Send me a new link")
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "auth/change_password.html")]
struct ChangePage {
    ctx: Ctx,
    errors: FieldErrors,
}

async fn change_page(req: HttpRequest, user: Principal) -> AppResult<HttpResponse> {
    // Never the customer user's password on their behalf (Login As).
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    render(&ChangePage {
        ctx: Ctx::new(&req, Some(&user)),
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeParams {
    current_password: String,
    password: String,
    password_confirm: String,
}

async fn change(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: Principal,
    form: CsrfForm<ChangeParams>,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let pw = parse_new_password(
        &mut errors,
        &p.password,
        &p.password_confirm,
        Some(&user.user().email),
    );
    if let Some(pw) = pw {
        match svc::change_password(&state.core, user.user(), &p.current_password, &pw).await {
            Ok(()) => {
                // Every session ended, this one included; start a fresh one for this browser.
                sess::renew(&session, user.user().id.uuid());
                return Ok(redirect_with(
                    &session,
                    urls::PASSWORD_CHANGE,
                    "success",
                    "Your password has been changed. Other devices have been signed out.",
                ));
            }
            Err(ChangePasswordError::WrongCurrent) => errors.add(
                "current_password",
                ChangePasswordError::WrongCurrent.to_string(),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    render_invalid(&ChangePage {
        ctx: Ctx::new(&req, Some(&user)),
        errors,
    })
}
