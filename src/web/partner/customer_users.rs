//! The users of a customer the partner manages (an active registration in management mode):
//! invite users to the account, change their roles, remove and restore them, from the
//! customer's page and each user's page. The customer's admins do the same at `/my/users`.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed,
    ctx::Ctx,
    customer::users::{parse_invite, Confirm, InviteParams, RoleParams, REMOVE_EXPLANATION},
    parse_id, redirect_with, render, render_invalid, Confirmation, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, PartnerUser},
    domain::{AccountId, PartnerRole, RegistrationId, Status, UserId},
    error::{AppError, AppResult},
    services::{
        account_users::{self as svc, AccountUserError, By},
        registrations as regs,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::CUSTOMER_USER_INVITE, web::get().to(invite_page))
        .route(urls::CUSTOMER_USER_INVITE, web::post().to(invite))
        .route(urls::CUSTOMER_USER_ROLE, web::post().to(set_role))
        .route(urls::CUSTOMER_USER_REMOVE, web::post().to(remove))
        .route(urls::CUSTOMER_USER_RESTORE, web::post().to(restore))
        .route(urls::CUSTOMER_INVITATION_RESEND, web::post().to(resend))
        .route(urls::CUSTOMER_INVITATION_REVOKE, web::post().to(revoke));
}

/// The account of one of the partner's customers that it manages. Another partner's customer
/// is "not found"; one it does not manage (pending, ended, not in management mode) is refused.
async fn managed(
    state: &AppState,
    user: &PartnerUser,
    id: RegistrationId,
) -> AppResult<(AccountId, String)> {
    let c = regs::customer(&state.core, user.org_id(), id).await?;
    if c.registration.status != Status::Active || !c.registration.management_mode {
        return Err(AppError::Forbidden);
    }
    Ok((c.account.id, c.account.company_name))
}

fn by(user: &PartnerUser) -> By {
    By {
        actor: user.actor(),
        partner: Some(user.org_id().uuid()),
        name: format!("{} of {}", user.user.name, user.partner.company_name),
    }
}

#[derive(Template)]
#[template(path = "customers/invite_user.html")]
struct InvitePage {
    ctx: Ctx,
    id: RegistrationId,
    company: String,
    invite_action: String,
    form: InviteParams,
    errors: FieldErrors,
}

async fn invite_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let (_, company) = managed(&state, &user, id).await?;
    render(&InvitePage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        id,
        company,
        invite_action: urls::customer_user_invite(id),
        form: InviteParams {
            email: String::new(),
            role: "member".into(),
        },
        errors: FieldErrors::default(),
    })
}

async fn invite(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<InviteParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let (account, company) = managed(&state, &user, id).await?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    if let Some((email, role)) = parse_invite(&p, &mut errors) {
        match svc::invite(&state.core, &by(&user), account, &email, role).await {
            Ok(()) => {
                return Ok(redirect_with(
                    &session,
                    &urls::customer(id),
                    "success",
                    &format!("Invitation sent to {email}."),
                ))
            }
            Err(e @ AccountUserError::EmailTaken) => errors.add("email", e.to_string()),
            Err(e) => return Err(e.into()),
        }
    }
    render_invalid(&InvitePage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        id,
        company,
        invite_action: urls::customer_user_invite(id),
        form: p,
        errors,
    })
}

/// Back to where the action was started, with what happened.
fn back(
    session: &Session,
    to: &str,
    result: Result<String, AccountUserError>,
) -> AppResult<HttpResponse> {
    match result {
        Ok(msg) => Ok(redirect_with(session, to, "success", &msg)),
        Err(e @ (AccountUserError::LastAdmin | AccountUserError::SelfRemoval)) => {
            Ok(redirect_with(session, to, "error", &e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_role(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<RoleParams>,
) -> AppResult<HttpResponse> {
    let (id, uid): (RegistrationId, UserId) = (parse_id(&path.0)?, parse_id(&path.1)?);
    let (account, _) = managed(&state, &user, id).await?;
    let role = PartnerRole::parse(&form.0.role)
        .map_err(|_| AppError::BadRequest("Choose admin or member.".into()))?;
    let r = svc::set_role(&state.core, &by(&user), account, uid, role).await;
    back(
        &session,
        &urls::customer_user(id, uid),
        r.map(|u| format!("{} is now {}.", u.name, u.role.label().to_lowercase())),
    )
}

async fn remove(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    let (id, uid): (RegistrationId, UserId) = (parse_id(&path.0)?, parse_id(&path.1)?);
    let (account, _) = managed(&state, &user, id).await?;
    if !confirmed(&form.0.confirmed) {
        let (_, _, who) = regs::customer_user(&state.core, user.org_id(), id, uid).await?;
        return ask_first(
            &req,
            &user.principal(),
            &Confirmation {
                title: format!("Remove {} from the customer's account?", who.name),
                explanation: REMOVE_EXPLANATION.into(),
                button: "Remove the user".into(),
                action: urls::customer_user_remove(id, uid),
                back: urls::customer_user(id, uid),
                fields: vec![],
            },
        );
    }
    let r = svc::set_active(&state.core, &by(&user), account, uid, false).await;
    back(
        &session,
        &urls::customer_user(id, uid),
        r.map(|u| format!("{} has been removed.", u.name)),
    )
}

async fn restore(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    path: web::Path<(String, String)>,
    _f: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    let (id, uid): (RegistrationId, UserId) = (parse_id(&path.0)?, parse_id(&path.1)?);
    let (account, _) = managed(&state, &user, id).await?;
    let r = svc::set_active(&state.core, &by(&user), account, uid, true).await;
    back(
        &session,
        &urls::customer_user(id, uid),
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
    user: PartnerUser,
    path: web::Path<(String, String)>,
    _f: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    let id: RegistrationId = parse_id(&path.0)?;
    let (account, _) = managed(&state, &user, id).await?;
    let r = svc::resend(&state.core, &by(&user), account, parse_id(&path.1)?).await;
    back(
        &session,
        &urls::customer(id),
        r.map(|e| format!("A new invitation was sent to {e}; the previous link no longer works.")),
    )
}

async fn revoke(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    path: web::Path<(String, String)>,
    _f: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    let id: RegistrationId = parse_id(&path.0)?;
    let (account, _) = managed(&state, &user, id).await?;
    let r = svc::revoke(&state.core, &by(&user), account, parse_id(&path.1)?).await;
    back(
        &session,
        &urls::customer(id),
        r.map(|e| format!("The invitation to {e} is revoked; its link no longer works.")),
    )
}
