//! A user's own security: the second step of sign-in (a code), setting up two-factor
//! sign-in, the code a sensitive action asks for when the last one is older than fifteen
//! minutes, new recovery codes, and the signed-in sessions with "sign out" for any or all of
//! the others. A Login As never reaches these pages.
use actix_session::{Session, SessionExt};
use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    web, HttpRequest, HttpResponse,
};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ctx::Ctx, fmt_datetime, parse_id, redirect_with, render, render_status, safe_next, see_other,
    FieldErrors,
};
use crate::{
    auth::{
        csrf::CsrfForm,
        extractors::Enrolling,
        session::{self as sess, Device},
        Principal,
    },
    domain::two_factor,
    error::{AppError, AppResult},
    services::{
        two_factor::{self as svc, CodeError, TurnOffError},
        user_sessions,
        views::User,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::LOGIN_CODE, web::get().to(code_page))
        .route(urls::LOGIN_CODE, web::post().to(code))
        .route(urls::TWO_FACTOR, web::get().to(setup_page))
        .route(urls::TWO_FACTOR, web::post().to(setup))
        .route(urls::TWO_FACTOR_RECOVERY, web::post().to(renew_codes))
        .route(urls::TWO_FACTOR_OFF, web::post().to(turn_off))
        .route(urls::VERIFY, web::get().to(verify_page))
        .route(urls::VERIFY, web::post().to(verify))
        .route(urls::ACCOUNT_SECURITY, web::get().to(security_page))
        .route(urls::SECURITY_SESSION_END, web::post().to(end_session))
        .route(
            urls::SECURITY_SESSIONS_END_OTHERS,
            web::post().to(end_others),
        );
}

/// The long-lived cookie that tells a browser the user signed in from before.
const BROWSER_COOKIE: &str = "pp_browser";

/// Where the request comes from.
pub fn device(req: &HttpRequest) -> Device {
    Device {
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        ip: crate::web::client_ip(req),
    }
}

/// Where a user lands after signing in.
pub fn home_for(kind: crate::domain::UserKind) -> &'static str {
    use crate::domain::UserKind;
    match kind {
        UserKind::Staff => urls::STAFF_APPROVALS,
        UserKind::Customer => urls::MY_PARTNER,
        UserKind::Partner => urls::HOME,
    }
}

/// Finishes a sign-in (after the password, and the code when the user has a second factor):
/// the session, the browser remembered (a new one is emailed about), then `target`.
pub async fn finish_sign_in(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    user: &User,
    second_factor_at: Option<chrono::DateTime<chrono::Utc>>,
    target: &str,
) -> AppResult<HttpResponse> {
    let device = device(req);
    sess::sign_in(session, user.id.uuid(), &device, second_factor_at);
    let known = req.cookie(BROWSER_COOKIE).map(|c| c.value().to_string());
    let token = known
        .clone()
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(crate::security::tokens::random_token);
    user_sessions::note_browser(&state.core, user, &token, &device.user_agent, &device.ip).await?;
    let mut res = see_other(target);
    if known.as_deref() != Some(token.as_str()) {
        let cookie = Cookie::build(BROWSER_COOKIE, token)
            .path("/")
            .http_only(true)
            .secure(state.config.secure_cookies())
            .same_site(SameSite::Lax)
            .max_age(CookieDuration::days(400))
            .finish();
        res.add_cookie(&cookie)
            .map_err(|e| AppError::Unexpected(e.into()))?;
    }
    Ok(res)
}

// ------------------------------------------------------------------ the code at sign-in

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeParams {
    code: String,
}

#[derive(Template)]
#[template(path = "auth/code.html")]
struct CodePage {
    ctx: Ctx,
    /// Where the form posts: the sign-in's second step or a sensitive action's check.
    action: String,
    next: String,
    heading: &'static str,
    lead: String,
    errors: FieldErrors,
}

/// The pending sign-in, if it is still young enough.
fn pending(session: &Session, state: &AppState) -> Option<sess::Pending> {
    sess::pending(session).filter(|p| state.core.now() - p.at <= two_factor::PENDING_SIGN_IN)
}

async fn code_page(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    if pending(&session, &state).is_none() {
        return Ok(redirect_with(
            &session,
            urls::LOGIN,
            "info",
            "Sign in with your email and password first.",
        ));
    }
    render(&sign_in_code_form(&req, FieldErrors::default()))
}

/// The sign-in's second step: the code field, with `errors`.
fn sign_in_code_form(req: &HttpRequest, errors: FieldErrors) -> CodePage {
    CodePage {
        ctx: Ctx::new(req, None),
        action: urls::LOGIN_CODE.into(),
        next: String::new(),
        heading: "Enter your code",
        lead: "Open your authenticator app and enter the 6-digit code for Partner Portal. \
               Lost your phone? Enter one of your recovery codes instead."
            .into(),
        errors,
    }
}

/// The status and message a refused code answers with.
fn code_refusal(e: CodeError, errors: &mut FieldErrors) -> AppResult<actix_web::http::StatusCode> {
    use actix_web::http::StatusCode;
    let status = match &e {
        CodeError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        CodeError::Refused(_) => StatusCode::UNAUTHORIZED,
        CodeError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        CodeError::Fault(_) => return Err(e.into()),
    };
    errors.add("code", e.to_string());
    Ok(status)
}

async fn code(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: CsrfForm<CodeParams>,
) -> AppResult<HttpResponse> {
    let Some(p) = pending(&session, &state) else {
        return Ok(redirect_with(
            &session,
            urls::LOGIN,
            "error",
            "That sign-in took too long. Sign in again.",
        ));
    };
    let ip = crate::web::client_ip(&req);
    let user_id = crate::domain::UserId(p.user);
    match svc::check(&state.core, user_id, &form.0.code, &ip, "sign-in").await {
        Ok(()) => {
            let Some(user) = crate::services::auth::user_by_id(&state.core, user_id).await? else {
                return Err(AppError::NotFound);
            };
            if !user.active {
                sess::sign_out(&session);
                return Ok(redirect_with(
                    &session,
                    urls::LOGIN,
                    "error",
                    "This user has been deactivated.",
                ));
            }
            let target = safe_next(&p.next)
                .map(str::to_string)
                .unwrap_or_else(|| home_for(user.kind).to_string());
            finish_sign_in(
                &req,
                &session,
                &state,
                &user,
                Some(state.core.now()),
                &target,
            )
            .await
        }
        Err(e) => {
            let mut errors = FieldErrors::default();
            let status = code_refusal(e, &mut errors)?;
            render_status(status, &sign_in_code_form(&req, errors))
        }
    }
}

// ------------------------------------------------------------------ step-up

/// Where this session stands for a sensitive action.
pub fn step_up(req: &HttpRequest, user: &User) -> two_factor::StepUp {
    let now = req
        .app_data::<web::Data<AppState>>()
        .map_or_else(chrono::Utc::now, |s| s.core.now());
    two_factor::StepUp::of(
        user.two_factor,
        sess::second_factor_at(&req.get_session()),
        now,
    )
}

/// A sensitive action goes ahead only when this session entered a code within the last
/// fifteen minutes; otherwise the code page, then back to `next`. A user without a second
/// factor sets one up first.
pub fn require_fresh_code(req: &HttpRequest, user: &User, next: &str) -> AppResult<()> {
    match step_up(req, user) {
        two_factor::StepUp::Fresh => Ok(()),
        other => Err(ask_for_code(req, other, next)),
    }
}

/// Where a user goes whose session is not fresh enough for an action: the code page (then
/// back to `next`), or the set-up page when they have no second factor yet.
pub fn ask_for_code(req: &HttpRequest, step_up: two_factor::StepUp, next: &str) -> AppError {
    if step_up == two_factor::StepUp::Missing {
        sess::flash(
            &req.get_session(),
            "info",
            "Set up two-factor sign-in first: this action needs a code from your \
             authenticator app.",
        );
        return AppError::SetUpSecondFactor;
    }
    AppError::StepUp {
        next: next.to_string(),
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn verify_page(
    req: HttpRequest,
    user: Principal,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    render(&verify_form(
        &req,
        &user,
        q.next.clone().unwrap_or_default(),
        FieldErrors::default(),
    ))
}

fn verify_form(req: &HttpRequest, user: &Principal, next: String, errors: FieldErrors) -> CodePage {
    CodePage {
        ctx: Ctx::new(req, Some(user)),
        action: urls::VERIFY.into(),
        next,
        heading: "Confirm it is you",
        lead: "This action needs a fresh code. Enter the 6-digit code from your authenticator \
               app (or a recovery code); it counts for fifteen minutes."
            .into(),
        errors,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VerifyParams {
    code: String,
    next: String,
}

async fn verify(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: Principal,
    form: CsrfForm<VerifyParams>,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    let p = form.0;
    let ip = crate::web::client_ip(&req);
    match svc::check(&state.core, user.user().id, &p.code, &ip, "confirmation").await {
        Ok(()) => {
            sess::passed_second_factor(&session, state.core.now());
            let target = safe_next(&p.next).unwrap_or(urls::ACCOUNT_SECURITY);
            Ok(redirect_with(
                &session,
                target,
                "success",
                "Code accepted. Go ahead: it counts for fifteen minutes.",
            ))
        }
        Err(e) => {
            let mut errors = FieldErrors::default();
            let status = code_refusal(e, &mut errors)?;
            render_status(status, &verify_form(&req, &user, p.next, errors))
        }
    }
}

// ------------------------------------------------------------------ set-up

#[derive(Template)]
#[template(path = "auth/two_factor_setup.html")]
struct SetupPage {
    ctx: Ctx,
    required: bool,
    secret: String,
    /// The secret in groups of four, for typing.
    secret_grouped: String,
    qr_svg: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "auth/recovery_codes.html")]
struct CodesPage {
    ctx: Ctx,
    codes: Vec<String>,
    first_time: bool,
}

async fn setup_page(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: Enrolling,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    let user = user.0;
    if user.user().two_factor {
        return Ok(see_other(urls::ACCOUNT_SECURITY));
    }
    let secret = match sess::setup_secret(&session) {
        Some(s) => s,
        None => {
            let s = svc::new_secret();
            sess::set_setup_secret(&session, Some(&s));
            s
        }
    };
    setup_form(&req, &state, &user, &secret, FieldErrors::default(), false).await
}

async fn setup_form(
    req: &HttpRequest,
    state: &AppState,
    user: &Principal,
    secret: &str,
    errors: FieldErrors,
    invalid: bool,
) -> AppResult<HttpResponse> {
    let e = svc::enrolment(secret, &user.user().email)?;
    let page = SetupPage {
        ctx: Ctx::new(req, Some(user)),
        required: svc::required_of(&state.core, user.user()).await?,
        secret_grouped: e
            .secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        secret: e.secret,
        qr_svg: e.qr_svg,
        errors,
    };
    if invalid {
        crate::web::render_invalid(&page)
    } else {
        render(&page)
    }
}

async fn setup(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: Enrolling,
    form: CsrfForm<CodeParams>,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    let user = user.0;
    if user.user().two_factor {
        return Ok(see_other(urls::ACCOUNT_SECURITY));
    }
    let Some(secret) = sess::setup_secret(&session) else {
        return Ok(redirect_with(
            &session,
            urls::TWO_FACTOR,
            "error",
            "Scan the new code below and try again.",
        ));
    };
    let ip = crate::web::client_ip(&req);
    match svc::confirm(&state.core, user.user(), &secret, &form.0.code, &ip).await {
        Ok(codes) => {
            sess::set_setup_secret(&session, None);
            sess::passed_second_factor(&session, state.core.now());
            sess::flash(
                &session,
                "success",
                "Two-factor sign-in is on. Keep your recovery codes somewhere safe.",
            );
            render(&CodesPage {
                ctx: Ctx::new(&req, Some(&user)),
                codes,
                first_time: true,
            })
        }
        Err(e) => {
            let mut errors = FieldErrors::default();
            let status = code_refusal(e, &mut errors)?;
            if status == actix_web::http::StatusCode::TOO_MANY_REQUESTS {
                return Err(AppError::TooManyRequests(errors.get("code").to_string()));
            }
            setup_form(&req, &state, &user, &secret, errors, true).await
        }
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn renew_codes(
    req: HttpRequest,
    user: Principal,
    state: web::Data<AppState>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    require_fresh_code(&req, user.user(), urls::ACCOUNT_SECURITY)?;
    let codes = svc::renew_recovery_codes(&state.core, user.user()).await?;
    render(&CodesPage {
        ctx: Ctx::new(&req, Some(&user)),
        codes,
        first_time: false,
    })
}

async fn turn_off(
    req: HttpRequest,
    session: Session,
    user: Principal,
    state: web::Data<AppState>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    require_fresh_code(&req, user.user(), urls::ACCOUNT_SECURITY)?;
    match svc::turn_off(&state.core, user.user()).await {
        Ok(()) => {
            sess::sign_out(&session);
            Ok(redirect_with(
                &session,
                urls::LOGIN,
                "success",
                "Two-factor sign-in is off, and every session was signed out. Sign in again.",
            ))
        }
        Err(e @ TurnOffError::Required) => Ok(redirect_with(
            &session,
            urls::ACCOUNT_SECURITY,
            "error",
            &e.to_string(),
        )),
        Err(TurnOffError::Fault(f)) => Err(f.into()),
    }
}

// ------------------------------------------------------------------ the security page

pub struct SessionLine {
    pub id: String,
    pub browser: String,
    pub ip: String,
    pub signed_in: String,
    pub last_seen: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "auth/security.html")]
struct SecurityPage {
    ctx: Ctx,
    two_factor: bool,
    required: bool,
    recovery_left: u64,
    sessions: Vec<SessionLine>,
}

async fn security_page(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: Principal,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    let u = user.user();
    let current = sess::session_id(&session);
    let rows = user_sessions::list(&state.core, u, current).await?;
    let recovery_left = svc::recovery_left(&state.core.db.read, u.id.uuid())
        .await
        .map_err(crate::services::Fault::from)?;
    render(&SecurityPage {
        ctx: Ctx::new(&req, Some(&user)),
        two_factor: u.two_factor,
        required: svc::required_of(&state.core, u).await?,
        recovery_left,
        sessions: rows
            .into_iter()
            .map(|r| SessionLine {
                id: r.id.to_string(),
                browser: r.browser,
                ip: r.ip,
                signed_in: r.signed_in_at.map(|t| fmt_datetime(&t)).unwrap_or_default(),
                last_seen: r.last_seen_at.map(|t| fmt_datetime(&t)).unwrap_or_default(),
                current: r.current,
            })
            .collect(),
    })
}

async fn end_session(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: Principal,
    id: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    let id: uuid::Uuid = parse_id(&id)?;
    if Some(id) == sess::session_id(&session) {
        return Ok(redirect_with(
            &session,
            urls::ACCOUNT_SECURITY,
            "info",
            "That is this browser: use Sign out to end it.",
        ));
    }
    if !user_sessions::end(&state.core, user.user(), id).await? {
        return Err(AppError::NotFound);
    }
    Ok(redirect_with(
        &session,
        urls::ACCOUNT_SECURITY,
        "success",
        "The session was signed out.",
    ))
}

async fn end_others(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: Principal,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    crate::web::partner::login_as::refuse_while_acting(&req)?;
    let Some(keep) = sess::session_id(&session) else {
        return Err(AppError::Conflict(
            "This session has no id yet; reload the page.".into(),
        ));
    };
    let n = user_sessions::end_others(&state.core, user.user(), keep).await?;
    Ok(redirect_with(
        &session,
        urls::ACCOUNT_SECURITY,
        "success",
        &match n {
            0 => "There were no other sessions.".to_string(),
            1 => "1 other session was signed out.".to_string(),
            n => format!("{n} other sessions were signed out."),
        },
    ))
}
