//! Login As: a partner user starts acting as a customer user (a POST from the
//! customer's Users list or a user's page; never a link), and returns. The session gets a new
//! id both ways; while it lasts every page shows the banner (`ctx.rs`), partner, staff and
//! security pages answer 403, and at its end time, or once one of its grounds is gone, the next
//! request brings the partner user back (`hold_to_grounds` below).
use actix_session::{Session, SessionExt};
use actix_web::{
    body::BoxBody,
    dev::{Service, ServiceRequest, ServiceResponse},
    web, HttpRequest, HttpResponse,
};

use crate::web::urls;
use crate::web::{parse_id, redirect_with};
use crate::{
    auth::{
        csrf::CsrfForm,
        session::{self as sess, Acting},
        PartnerUser, Principal,
    },
    domain::{RegistrationId, UserId},
    error::{AppError, AppResult},
    services::impersonation::{self as svc, EndCause, LoginAsError},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::CUSTOMER_USER_LOGIN_AS, web::post().to(start))
        .route(urls::LOGIN_AS_END, web::post().to(end));
}

#[derive(serde::Deserialize, Default)]
struct NoFields {}

async fn start(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let reg: RegistrationId = parse_id(&path.0)?;
    let target: UserId = parse_id(&path.1)?;
    let step_up = crate::web::public::security::step_up(&req, &user.user);
    match svc::start(&state.core, &user.user, user.org_id(), reg, target, step_up).await {
        Ok(s) => {
            let acting = Acting {
                user: s.user,
                account: s.account,
                registration: s.registration,
                company: s.company.clone(),
                since: s.since,
                until: s.until,
            };
            sess::start_acting(&session, user.user.id.uuid(), &acting);
            Ok(redirect_with(
                &session,
                urls::MY_PARTNER,
                "info",
                &format!(
                    "You are signed in as {} on behalf of {}. Everything you do is recorded \
                     under both names.",
                    s.whom, user.partner.company_name
                ),
            ))
        }
        Err(LoginAsError::Refused(reason)) => Ok(redirect_with(
            &session,
            &urls::customer(reg),
            "error",
            &reason,
        )),
        Err(LoginAsError::NeedsCode(step_up)) => Err(crate::web::public::security::ask_for_code(
            &req,
            step_up,
            &urls::customer_user(reg, target),
        )),
        Err(LoginAsError::NotFound) => Err(AppError::NotFound),
        Err(LoginAsError::Fault(f)) => Err(f.into()),
    }
}

/// Ends the Login As: audited, the partner user's own session back under a new id, on the
/// customer's page.
async fn end(
    session: Session,
    state: web::Data<AppState>,
    who: Principal,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let Principal::ActingAs(a) = who else {
        return Ok(HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, "/"))
            .finish());
    };
    finish(&session, &state, &a, EndCause::Returned).await?;
    Ok(redirect_with(
        &session,
        &urls::customer(a.registration),
        "success",
        &format!("You are back as yourself, {}.", a.by.name),
    ))
}

async fn finish(
    session: &Session,
    state: &AppState,
    a: &crate::auth::principal::ActingAs,
    cause: EndCause,
) -> AppResult<()> {
    let (account, registration) = (a.account.uuid(), a.registration.uuid());
    end_audited(
        state,
        &a.by,
        &a.customer.label(),
        a.partner.id,
        (account, registration),
        cause,
    )
    .await?;
    sess::stop_acting(session, a.by.id.uuid());
    Ok(())
}

async fn end_audited(
    state: &AppState,
    by: &crate::services::views::User,
    whom: &str,
    partner: crate::domain::PartnerId,
    (account, registration): (uuid::Uuid, uuid::Uuid),
    cause: EndCause,
) -> AppResult<()> {
    svc::end(&state.core, by, whom, partner, account, registration, cause)
        .await
        .map_err(|e| match e {
            LoginAsError::Fault(f) => AppError::from(f),
            _ => AppError::NotFound,
        })
}

/// Holds a running Login As to its grounds on every request, before anything is served: when
/// its time has run out, or one of its grounds stopped holding (the relationship ended or left
/// management mode, the partner was suspended, a user was deactivated, the members'
/// permission was withdrawn), the request is not served. The Login As ends (audited, with
/// why), the partner user's own session comes back under a new id on the customer's page with
/// a message (or, when the partner user may no longer sign in at all, the session ends).
pub fn hold_to_grounds<S>(
    req: ServiceRequest,
    srv: &S,
) -> futures_util::future::Either<
    S::Future,
    futures_util::future::LocalBoxFuture<
        'static,
        Result<ServiceResponse<BoxBody>, actix_web::Error>,
    >,
>
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let session = req.get_session();
    let (Some(acting), Some(state)) = (
        sess::acting(&session),
        req.app_data::<web::Data<AppState>>().cloned(),
    ) else {
        return futures_util::future::Either::Left(srv.call(req));
    };
    let signed = sess::signed_in(&session);
    let lapse = signed.as_ref().and_then(|s| s.lapse);
    if lapse.is_none() && acting.until > state.core.now() {
        return futures_util::future::Either::Left(srv.call(req));
    }
    let http = req.request().clone();
    futures_util::future::Either::Right(Box::pin(async move {
        let back = urls::customer(RegistrationId(acting.registration));
        let to = match signed {
            Some(s) => {
                let name = s
                    .acting
                    .as_ref()
                    .map_or_else(|| acting.company.clone(), |a| a.customer.name.clone());
                let whom = s
                    .acting
                    .as_ref()
                    .map_or_else(|| acting.company.clone(), |a| a.customer.label());
                let cause = lapse.map_or(EndCause::Expired, EndCause::Lapsed);
                if let Some(p) = &s.partner {
                    let ids = (acting.account, acting.registration);
                    end_audited(&state, &s.user, &whom, p.id, ids, cause).await?;
                }
                match lapse {
                    Some(l) if l.signs_out() => {
                        sess::sign_out(&session);
                        sess::flash(
                            &session,
                            "error",
                            format!("Your Login As session as {name} ended: {}.", l.ended()),
                        );
                        urls::LOGIN.to_string()
                    }
                    Some(l) => {
                        sess::stop_acting(&session, s.user.id.uuid());
                        sess::flash(
                            &session,
                            "error",
                            format!(
                                "Your Login As session as {name} ended: {}. Nothing more was \
                                 done as them; you are back as yourself.",
                                l.ended()
                            ),
                        );
                        back
                    }
                    None => {
                        sess::stop_acting(&session, s.user.id.uuid());
                        sess::flash(
                            &session,
                            "info",
                            format!(
                                "Your Login As session as {name} ended at {}: you are back as \
                                 yourself.",
                                acting.until.format("%H:%M UTC")
                            ),
                        );
                        back
                    }
                }
            }
            None => {
                sess::sign_out(&session);
                back
            }
        };
        let res = HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, to))
            .finish();
        Ok(ServiceResponse::new(http, res))
    }))
}

/// The request's own user when it is not a Login As: security pages (password, email) take
/// this, so a partner user acting as a customer user never changes that user's credentials.
pub fn refuse_while_acting(req: &HttpRequest) -> AppResult<()> {
    if sess::acting(&req.get_session()).is_some() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}
