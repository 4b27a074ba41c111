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
    domain::{NewPassword, PlainName},
    error::{AppError, AppResult},
    services::{
        account_users::{self, AccountUserError},
        partners::{self, PartnerError},
        tokens::LinkProblem,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::INVITATION, web::get().to(partner_page))
        .route(urls::INVITATION, web::post().to(partner_accept))
        .route(urls::JOIN, web::get().to(account_page))
        .route(urls::JOIN, web::post().to(account_accept));
}

/// Which organisation the invitation is to.
#[derive(Clone, Copy)]
enum Kind {
    Partner,
    Account,
}

/// What the page shows of an invitation.
struct View {
    email: String,
    company: String,
    role: String,
}

/// Why an invitation cannot be read or accepted.
enum Refusal {
    Link(LinkProblem),
    EmailTaken,
    Other(AppError),
}

impl From<PartnerError> for Refusal {
    fn from(e: PartnerError) -> Self {
        match e {
            PartnerError::Link(p) => Self::Link(p),
            PartnerError::EmailTaken => Self::EmailTaken,
            e => Self::Other(e.into()),
        }
    }
}

impl From<AccountUserError> for Refusal {
    fn from(e: AccountUserError) -> Self {
        match e {
            AccountUserError::Link(p) => Self::Link(p),
            AccountUserError::EmailTaken => Self::EmailTaken,
            e => Self::Other(e.into()),
        }
    }
}

impl Kind {
    fn action(self, token: &str) -> String {
        match self {
            Self::Partner => urls::invitation(token),
            Self::Account => urls::join(token),
        }
    }

    async fn view(self, state: &AppState, token: &str) -> Result<View, Refusal> {
        Ok(match self {
            Self::Partner => {
                let v = partners::invitation(&state.core, token).await?;
                View {
                    email: v.email,
                    company: v.company,
                    role: v.role,
                }
            }
            Self::Account => {
                let v = account_users::invitation(&state.core, token).await?;
                View {
                    email: v.email,
                    company: v.company,
                    role: v.role,
                }
            }
        })
    }

    async fn accept(
        self,
        state: &AppState,
        token: &str,
        name: PlainName,
        pw: &NewPassword,
    ) -> Result<(), Refusal> {
        match self {
            Self::Partner => {
                partners::accept_invitation(&state.core, token, name, pw).await?;
            }
            Self::Account => {
                account_users::accept(&state.core, token, name, pw).await?;
            }
        }
        Ok(())
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
#[template(path = "home/invitation.html")]
struct InvitationPage {
    ctx: Ctx,
    /// Where the form posts: the link itself.
    action: String,
    invitation: View,
    name: String,
    errors: FieldErrors,
}

fn refused(req: &HttpRequest, session: &Session, r: Refusal) -> AppResult<HttpResponse> {
    match r {
        Refusal::Link(p) => link_problem(req, p, urls::LOGIN, "Go to sign-in"),
        Refusal::EmailTaken => Ok(redirect_with(
            session,
            urls::LOGIN,
            "info",
            "This email address already has an account. Sign in instead.",
        )),
        Refusal::Other(e) => Err(e),
    }
}

async fn page(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    kind: Kind,
) -> AppResult<HttpResponse> {
    match kind.view(&state, &token).await {
        Ok(invitation) => render(&InvitationPage {
            ctx: Ctx::new(&req, None),
            action: kind.action(&token),
            invitation,
            name: String::new(),
            errors: FieldErrors::default(),
        }),
        Err(r) => refused(&req, &session, r),
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
    let invitation = match kind.view(&state, &token).await {
        Ok(i) => i,
        Err(r) => return refused(&req, &session, r),
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
            action: kind.action(&token),
            invitation,
            name: p.name,
            errors,
        });
    };
    match kind.accept(&state, &token, name, &pw).await {
        Ok(()) => Ok(redirect_with(
            &session,
            urls::LOGIN,
            "success",
            &format!(
                "Welcome to {}. Sign in with your new password.",
                invitation.company
            ),
        )),
        Err(r) => refused(&req, &session, r),
    }
}

async fn partner_page(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    page(req, session, state, token, Kind::Partner).await
}

async fn partner_accept(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<AcceptParams>,
) -> AppResult<HttpResponse> {
    accept(req, session, state, token, form, Kind::Partner).await
}

async fn account_page(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    page(req, session, state, token, Kind::Account).await
}

async fn account_accept(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<AcceptParams>,
) -> AppResult<HttpResponse> {
    accept(req, session, state, token, form, Kind::Account).await
}
