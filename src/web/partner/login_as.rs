//! Login As: a partner user starts acting as a customer user (a POST from the
//! customer's Users list or a user's page; never a link), and returns. The session gets a new
//! id both ways; while it lasts every page shows the banner (`ctx.rs`), partner, staff and
//! security pages answer 403, and at its end time the next request brings the partner user
//! back (`expiry` below).
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
    services::impersonation::{self as svc, LoginAsError},
    startup::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::CUSTOMER_USER_LOGIN_AS, web::post().to(start))
        .route(urls::LOGIN_AS_END, web::post().to(end));
}

#[derive(serde::Deserialize, Default)]
struct NoFields {}

async fn start(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let reg: RegistrationId = parse_id(&path.0)?;
    let target: UserId = parse_id(&path.1)?;
    match svc::start(&state.core, &user.user, user.org_id(), reg, target).await {
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
    finish(&session, &state, &a, false).await?;
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
    expired: bool,
) -> AppResult<()> {
    svc::end(
        &state.core,
        &a.by,
        &a.customer,
        a.partner.id,
        a.account.uuid(),
        a.registration.uuid(),
        expired,
    )
    .await
    .map_err(|e| match e {
        LoginAsError::Fault(f) => AppError::from(f),
        _ => AppError::NotFound,
    })?;
    sess::stop_acting(session, a.by.id.uuid());
    Ok(())
}

/// Ends a Login As whose time has run out, on the first request after it: the partner user's
/// own session comes back (a new id), with a message, on the customer's page.
pub fn expiry<S>(
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
    let ended = match (
        sess::acting(&session),
        req.app_data::<web::Data<AppState>>(),
    ) {
        (Some(acting), Some(state)) if acting.until <= state.core.now() => {
            Some((state.clone(), acting))
        }
        _ => None,
    };
    let Some((state, acting)) = ended else {
        return futures_util::future::Either::Left(srv.call(req));
    };
    let http = req.request().clone();
    futures_util::future::Either::Right(Box::pin(async move {
        let principal = sess::signed_in(&session).and_then(Principal::from_signed_in);
        let back = urls::customer(RegistrationId(acting.registration));
        match principal {
            Some(Principal::ActingAs(a)) => {
                finish(&session, &state, &a, true).await?;
                sess::flash(
                    &session,
                    "info",
                    format!(
                        "Your Login As session as {} ended at {}: you are back as yourself.",
                        a.customer.name,
                        acting.until.format("%H:%M UTC")
                    ),
                );
            }
            // The customer user is gone: the partner user's own session.
            _ => sess::sign_out(&session),
        }
        let res = HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, back))
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
