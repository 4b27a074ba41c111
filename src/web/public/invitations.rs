//! Accepting an invitation (no sign-in): to join a partner's company (`/invitations/{token}`,
//! sent by its admins) or a customer account (`/join/{token}`, sent by its admins or the
//! partner that manages it). The person chooses a name and a password; the link works once.
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
    domain::PlainName,
    error::AppResult,
    services::members::{self, InvitationView, Kind, MemberError},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    for (path, kind) in [
        (urls::INVITATION, Kind::Partner),
        (urls::JOIN, Kind::Account),
    ] {
        cfg.route(
            path,
            web::get().to(move |req, session, state, token| page(req, session, state, token, kind)),
        )
        .route(
            path,
            web::post().to(move |req, session, state, token, form| {
                accept(req, session, state, token, form, kind)
            }),
        );
    }
}

/// Where the form posts: the link itself.
fn action(kind: Kind, token: &str) -> String {
    match kind {
        Kind::Partner => urls::invitation(token),
        Kind::Account => urls::join(token),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AcceptParams {
    name: String,
    password: String,
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "members/invitation.html")]
struct InvitationPage {
    ctx: Ctx,
    /// Where the form posts: the link itself.
    action: String,
    invitation: InvitationView,
    name: String,
    errors: FieldErrors,
}

fn refused(req: &HttpRequest, session: &Session, e: MemberError) -> AppResult<HttpResponse> {
    match e {
        MemberError::Link(p) => link_problem(req, p, urls::LOGIN, "Go to sign-in"),
        MemberError::EmailTaken => Ok(redirect_with(
            session,
            urls::LOGIN,
            "info",
            "This email address already has an account. Sign in instead.",
        )),
        e => Err(e.into()),
    }
}

async fn page(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    kind: Kind,
) -> AppResult<HttpResponse> {
    match members::invitation(&state.core, kind, &token).await {
        Ok(invitation) => render(&InvitationPage {
            ctx: Ctx::new(&req, None),
            action: action(kind, &token),
            invitation,
            name: String::new(),
            errors: FieldErrors::default(),
        }),
        Err(e) => refused(&req, &session, e),
    }
}

async fn accept(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<AcceptParams>,
    kind: Kind,
) -> AppResult<HttpResponse> {
    let invitation = match members::invitation(&state.core, kind, &token).await {
        Ok(i) => i,
        Err(e) => return refused(&req, &session, e),
    };
    let p = form.0;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", PlainName::parse(&p.name, "name"));
    let pw = parse_new_password(
        &mut errors,
        &p.password,
        &p.password_confirm,
        Some(&invitation.email),
    );
    let (Some(name), Some(pw)) = (name, pw) else {
        return render_invalid(&InvitationPage {
            ctx: Ctx::new(&req, None),
            action: action(kind, &token),
            invitation,
            name: p.name,
            errors,
        });
    };
    match members::accept(&state.core, kind, &token, name, &pw).await {
        Ok(_) => Ok(redirect_with(
            &session,
            urls::LOGIN,
            "success",
            &format!(
                "Welcome to {}. Sign in with your new password.",
                invitation.company
            ),
        )),
        Err(e) => refused(&req, &session, e),
    }
}
