//! CSRF tokens (synchronizer tokens) and `CsrfForm<T>`: a URL-encoded form that is only
//! accepted with the right token in its `csrf_token` field. Every state-changing form handler
//! takes its input through it.
//!
//! A signed-in session holds its token (set at sign-in). A visitor who is not signed in gets
//! the token in a cookie signed with the session key (`pp_csrf`, a "signed double-submit
//! cookie"): showing the sign-in, sign-up or confirmation page then writes nothing to the
//! database, where it used to create a session row for every visitor without a cookie.
use std::future::Future;

use actix_session::{Session, SessionExt};
use actix_web::{
    body::MessageBody,
    cookie::{Cookie, CookieJar, SameSite},
    dev::{Payload, Service, ServiceRequest, ServiceResponse},
    web, Error, FromRequest, HttpMessage, HttpRequest,
};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::session::expected_csrf;
use crate::security::tokens::{constant_time_eq, random_token};
use crate::{error::AppError, state::AppState};

pub struct CsrfForm<T>(pub T);

/// The cookie that carries a signed-out visitor's token.
pub const COOKIE: &str = "pp_csrf";

/// A token made for this response, which sets it as the `pp_csrf` cookie.
#[derive(Clone)]
struct NewCookieToken(String);

/// The token for this page's forms: the signed-in session's, else the visitor's cookie token
/// (a new one, sent with this response, when the visitor has none).
pub fn token(req: &HttpRequest, session: &Session) -> String {
    if let Some(t) = expected_csrf(session) {
        return t;
    }
    if let Some(t) = cookie_token(req) {
        return t;
    }
    if let Some(t) = req.extensions().get::<NewCookieToken>() {
        return t.0.clone();
    }
    let t = random_token();
    req.extensions_mut().insert(NewCookieToken(t.clone()));
    t
}

/// Accepts `sent` only if it is the session's token or, for a session without one (not signed
/// in), the token of the visitor's signed cookie.
pub fn check(req: &HttpRequest, session: &Session, sent: Option<&str>) -> Result<(), AppError> {
    let expected = expected_csrf(session).or_else(|| cookie_token(req));
    match (sent, expected) {
        (Some(sent), Some(expected)) if constant_time_eq(sent.as_bytes(), expected.as_bytes()) => {
            Ok(())
        }
        _ => Err(AppError::Csrf),
    }
}

/// The token of the visitor's `pp_csrf` cookie, if its signature holds (a forged or altered
/// cookie counts as none). Read only where a form is shown or checked for a session without
/// a token, so other requests do not pay for it.
fn cookie_token(req: &HttpRequest) -> Option<String> {
    let cookie = req.cookie(COOKIE)?;
    let key = &req.app_data::<web::Data<AppState>>()?.cookie_key;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    jar.signed(key).get(COOKIE).map(|c| c.value().to_string())
}

/// After the handler: sets the cookie of a token that `token` made for this response. The
/// cookie lasts as long as the browser session and goes with same-site requests only.
fn write_cookie<B: MessageBody>(res: &mut ServiceResponse<B>) {
    let Some(NewCookieToken(t)) = res.request().extensions().get::<NewCookieToken>().cloned()
    else {
        return;
    };
    let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() else {
        return;
    };
    let mut jar = CookieJar::new();
    jar.signed_mut(&state.cookie_key).add(
        Cookie::build(COOKIE, t)
            .path("/")
            .http_only(true)
            .secure(state.config.secure_cookies())
            .same_site(SameSite::Lax)
            .finish(),
    );
    if let Some(signed) = jar.get(COOKIE) {
        if let Err(e) = res.response_mut().add_cookie(signed) {
            tracing::error!(error = %e, "could not set the CSRF cookie");
        }
    }
}

/// Wraps the app (`App::wrap_fn`): after each request, `write_cookie`.
pub fn cookie_middleware<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let response = srv.call(req);
    async move {
        let mut res = response.await?;
        write_cookie(&mut res);
        Ok(res)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let session = req.get_session();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
            let sent = pairs
                .iter()
                .find(|(k, _)| k == "csrf_token")
                .map(|(_, v)| v.as_str());
            check(&req, &session, sent)?;
            serde_urlencoded::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))
        })
    }
}
