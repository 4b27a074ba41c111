//! The first step of both email-first sign-ups (customers at `/signup`, partners at
//! `/partners/register`): the visitor gives an address and is told to check its inbox, whether
//! or not the address already has an account (`services::signup`).
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, render, render_invalid, FieldErrors};
use crate::{
    auth::csrf::CsrfForm,
    domain::Email,
    error::AppResult,
    services::signup::{self, SignupKind},
    state::AppState,
};

/// GET and POST of the address page of `kind`, at `kind.path()`.
pub fn email_routes(cfg: &mut web::ServiceConfig, kind: SignupKind) {
    cfg.route(
        kind.path(),
        web::get().to(move |req: HttpRequest| email_page(req, kind)),
    )
    .route(
        kind.path(),
        web::post().to(
            move |req: HttpRequest, state: web::Data<AppState>, form: CsrfForm<EmailParams>| {
                email_submit(req, state, form, kind)
            },
        ),
    );
}

#[derive(Template)]
#[template(path = "signup/email.html")]
struct EmailPage {
    ctx: Ctx,
    /// The partner's wording, else the customer's.
    partner: bool,
    action: &'static str,
    email: String,
    errors: FieldErrors,
    sent: bool,
}

impl EmailPage {
    fn new(req: &HttpRequest, kind: SignupKind, email: String, errors: FieldErrors) -> Self {
        Self {
            ctx: Ctx::new(req, None),
            partner: kind == SignupKind::Partner,
            action: kind.path(),
            email,
            errors,
            sent: false,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailParams {
    email: String,
}

async fn email_page(req: HttpRequest, kind: SignupKind) -> AppResult<HttpResponse> {
    render(&EmailPage::new(
        &req,
        kind,
        String::new(),
        FieldErrors::default(),
    ))
}

async fn email_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<EmailParams>,
    kind: SignupKind,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::default();
    let Some(email) = errors.check("email", Email::parse(&form.0.email)) else {
        return render_invalid(&EmailPage::new(&req, kind, form.0.email, errors));
    };
    signup::request(&state.core, kind, &email).await?;
    render(&EmailPage {
        sent: true,
        ..EmailPage::new(&req, kind, email.to_string(), errors)
    })
}
