//! The account's users (`/my/users`): every user of the account sees who is in it; its admins
//! invite people (single-use email link), change roles, remove and restore users. The
//! invitation is accepted at `/join/{token}` (`public::invitations`), also when the partner
//! sent it.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_datetime, parse_id, redirect_with, render, render_invalid,
    Confirmation, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, CustomerUser, Principal},
    domain::{Email, PartnerRole, Role, UserId},
    error::{AppError, AppResult},
    services::account_users::{self as svc, AccountUserError, By},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::MY_USERS, web::get().to(page))
        .route(urls::MY_USER_INVITE, web::post().to(invite))
        .route(urls::MY_USER_ROLE, web::post().to(set_role))
        .route(urls::MY_USER_REMOVE, web::post().to(remove))
        .route(urls::MY_USER_RESTORE, web::post().to(restore))
        .route(urls::MY_INVITATION_RESEND, web::post().to(resend))
        .route(urls::MY_INVITATION_REVOKE, web::post().to(revoke));
}

/// A user of the account as the lists show it.
pub struct UserRow {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub admin: bool,
    pub role: &'static str,
    pub active: bool,
    pub last_sign_in: String,
    pub is_me: bool,
}

pub struct InvitationRow {
    pub id: uuid::Uuid,
    pub email: String,
    pub role: &'static str,
    pub sent: String,
    pub expires: String,
    /// Where its Resend and Revoke buttons post.
    pub resend: String,
    pub revoke: String,
}

/// The invitation form's values as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteParams {
    pub email: String,
    pub role: String,
}

/// The account's users and pending invitations, for either side's page.
pub async fn rows(
    state: &AppState,
    account: crate::domain::AccountId,
    me: Option<UserId>,
    actions: impl Fn(uuid::Uuid) -> (String, String),
) -> AppResult<(Vec<UserRow>, Vec<InvitationRow>)> {
    let (users, pending) = svc::list(&state.core, account).await?;
    let users = users
        .into_iter()
        .map(|u| UserRow {
            admin: u.role == Role::Admin,
            role: u.role.label(),
            active: u.active,
            last_sign_in: u
                .last_sign_in_at
                .as_ref()
                .map(fmt_datetime)
                .unwrap_or_else(|| "Never".into()),
            is_me: Some(u.id) == me,
            id: u.id,
            name: u.name,
            email: u.email,
        })
        .collect();
    let pending = pending
        .into_iter()
        .map(|i| {
            let (resend, revoke) = actions(i.id);
            InvitationRow {
                id: i.id,
                resend,
                revoke,
                email: i.email,
                role: i.role.label(),
                sent: fmt_datetime(&i.sent_at),
                expires: fmt_datetime(&i.expires_at),
            }
        })
        .collect();
    Ok((users, pending))
}

/// Checks the invitation form; `None` with the errors filled when it does not hold.
pub fn parse_invite(p: &InviteParams, errors: &mut FieldErrors) -> Option<(Email, PartnerRole)> {
    let email = errors.check("email", Email::parse(&p.email));
    let role = errors.check("role", PartnerRole::parse(&p.role));
    email.zip(role)
}

#[derive(Template)]
#[template(path = "my/users.html")]
struct Page {
    ctx: Ctx,
    admin: bool,
    invite_action: &'static str,
    users: Vec<UserRow>,
    invitations: Vec<InvitationRow>,
    form: InviteParams,
    errors: FieldErrors,
}

async fn render_page(
    req: &HttpRequest,
    state: &AppState,
    user: &CustomerUser,
    form: InviteParams,
    errors: FieldErrors,
) -> AppResult<HttpResponse> {
    let admin = user.user().role == Role::Admin;
    let (users, mut invitations) = rows(state, user.account_id, Some(user.user().id), |i| {
        (urls::my_invitation_resend(i), urls::my_invitation_revoke(i))
    })
    .await?;
    if !admin {
        invitations.clear();
    }
    let page = Page {
        ctx: Ctx::new(req, Some(&user.principal())),
        admin,
        invite_action: urls::MY_USER_INVITE,
        users,
        invitations,
        form,
        errors,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    }
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CustomerUser,
) -> AppResult<HttpResponse> {
    let form = InviteParams {
        email: String::new(),
        role: "member".into(),
    };
    render_page(&req, &state, &user, form, FieldErrors::default()).await
}

/// Managing users is the account admins' (and the partner's, acting as one of them).
fn admin_only(user: &CustomerUser) -> AppResult<()> {
    if user.user().role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Who acts: the customer's admin, or the partner user signed in as them.
fn by_of(user: &CustomerUser) -> By {
    match user.principal() {
        Principal::ActingAs(a) => By {
            actor: user.actor(),
            partner: Some(a.partner.id.uuid()),
            name: format!("{} of {}", a.by.name, a.partner.company_name),
        },
        _ => By {
            actor: user.actor(),
            partner: None,
            name: user.user().name.clone(),
        },
    }
}

fn back(session: &Session, result: Result<String, AccountUserError>) -> AppResult<HttpResponse> {
    match result {
        Ok(msg) => Ok(redirect_with(session, urls::MY_USERS, "success", &msg)),
        Err(e @ (AccountUserError::LastAdmin | AccountUserError::SelfRemoval)) => Ok(
            redirect_with(session, urls::MY_USERS, "error", &e.to_string()),
        ),
        Err(e) => Err(e.into()),
    }
}

async fn invite(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: CustomerUser,
    form: CsrfForm<InviteParams>,
) -> AppResult<HttpResponse> {
    admin_only(&user)?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    if let Some((email, role)) = parse_invite(&p, &mut errors) {
        let by = by_of(&user);
        match svc::invite(&state.core, &by, user.account_id, &email, role).await {
            Ok(()) => {
                return Ok(redirect_with(
                    &session,
                    urls::MY_USERS,
                    "success",
                    &format!("Invitation sent to {email}."),
                ))
            }
            Err(e @ AccountUserError::EmailTaken) => errors.add("email", e.to_string()),
            Err(e) => return Err(e.into()),
        }
    }
    render_page(&req, &state, &user, p, errors).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleParams {
    pub role: String,
}

async fn set_role(
    session: Session,
    state: web::Data<AppState>,
    user: CustomerUser,
    id: web::Path<String>,
    form: CsrfForm<RoleParams>,
) -> AppResult<HttpResponse> {
    admin_only(&user)?;
    let id: UserId = parse_id(&id)?;
    let role = PartnerRole::parse(&form.0.role)
        .map_err(|_| AppError::BadRequest("Choose admin or member.".into()))?;
    let by = by_of(&user);
    let r = svc::set_role(&state.core, &by, user.account_id, id, role).await;
    back(
        &session,
        r.map(|u| format!("{} is now {}.", u.name, u.role.label().to_lowercase())),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Confirm {
    pub confirmed: String,
}

async fn remove(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: CustomerUser,
    id: web::Path<String>,
    form: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    admin_only(&user)?;
    let id: UserId = parse_id(&id)?;
    if !confirmed(&form.0.confirmed) {
        let (users, _) = svc::list(&state.core, user.account_id).await?;
        let who = users
            .into_iter()
            .find(|u| u.id == id)
            .ok_or(AppError::NotFound)?;
        return ask_first(
            &req,
            &user.principal(),
            &Confirmation {
                title: format!("Remove {}?", who.name),
                explanation: REMOVE_EXPLANATION.into(),
                button: "Remove the user".into(),
                action: urls::my_user_remove(id),
                back: urls::MY_USERS.into(),
                fields: vec![],
            },
        );
    }
    let by = by_of(&user);
    let r = svc::set_active(&state.core, &by, user.account_id, id, false).await;
    back(&session, r.map(|u| format!("{} has been removed.", u.name)))
}

/// What removing a user does, said before it is done.
pub const REMOVE_EXPLANATION: &str = "They are signed out everywhere at once, cannot sign in \
    any more and lose the license seats they hold. What they did stays recorded, and an admin \
    can restore them later.";

async fn restore(
    session: Session,
    state: web::Data<AppState>,
    user: CustomerUser,
    id: web::Path<String>,
    _f: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    admin_only(&user)?;
    let id: UserId = parse_id(&id)?;
    let by = by_of(&user);
    let r = svc::set_active(&state.core, &by, user.account_id, id, true).await;
    back(
        &session,
        r.map(|u| {
            format!(
                "{} has been restored; their seats were not given back.",
                u.name
            )
        }),
    )
}

async fn resend(
    session: Session,
    state: web::Data<AppState>,
    user: CustomerUser,
    id: web::Path<String>,
    _f: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    admin_only(&user)?;
    let by = by_of(&user);
    let r = svc::resend(&state.core, &by, user.account_id, parse_id(&id)?).await;
    back(
        &session,
        r.map(|e| format!("A new invitation was sent to {e}; the previous link no longer works.")),
    )
}

async fn revoke(
    session: Session,
    state: web::Data<AppState>,
    user: CustomerUser,
    id: web::Path<String>,
    _f: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    admin_only(&user)?;
    let by = by_of(&user);
    let r = svc::revoke(&state.core, &by, user.account_id, parse_id(&id)?).await;
    back(
        &session,
        r.map(|e| format!("The invitation to {e} is revoked; its link no longer works.")),
    )
}
