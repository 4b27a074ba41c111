//! `POST /oauth/token`: OAuth 2.0 client credentials (RFC 6749 §4.4). The client
//! authenticates with HTTP Basic or with `client_id`/`client_secret` in the form body.
use actix_web::{http::header, http::StatusCode, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use super::body::{read_limited, BodyError};
use crate::{
    services::api_apps::{self, TokenError},
    state::AppState,
};

/// RFC 6749 §5.1.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the token is valid (3600).
    pub expires_in: i64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// RFC 6749 §5.2.
#[derive(Serialize, ToSchema)]
pub struct TokenError5 {
    /// `invalid_request`, `invalid_client`, `invalid_scope` or `unsupported_grant_type`.
    pub error: String,
    pub error_description: String,
}

/// A token request is a few short form fields.
const TOKEN_BODY_LIMIT: usize = 4096;

fn oauth_error(status: StatusCode, error: &str, description: &str, basic: bool) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if basic && status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"partner-api\""));
    }
    res.json(TokenError5 {
        error: error.into(),
        error_description: description.into(),
    })
}

/// Client id and secret from `Authorization: Basic` (form-urlencoded, RFC 6749 §2.3.1).
fn basic_credentials(req: &HttpRequest) -> Option<Result<(String, String), ()>> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = h
        .strip_prefix("Basic ")
        .or_else(|| h.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok();
    let text = decoded.and_then(|d| String::from_utf8(d).ok());
    Some(
        text.and_then(|t| {
            let (id, secret) = t.split_once(':')?;
            let dec = |s: &str| {
                serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
                    .ok()?
                    .pop()
                    .map(|(_, v)| v)
            };
            Some((dec(id)?, dec(secret)?))
        })
        .ok_or(()),
    )
}

#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "auth",
    request_body(content_type = "application/x-www-form-urlencoded", content = String,
        description = "`grant_type=client_credentials`, optional `scope` (space-separated); `client_id` and `client_secret` here or in HTTP Basic."),
    responses(
        (status = 200, description = "An access token", body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_scope or unsupported_grant_type", body = TokenError5),
        (status = 401, description = "invalid_client", body = TokenError5),
        (status = 413, description = "invalid_request: the body is over 4 KiB", body = TokenError5),
    )
)]
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    mut payload: web::Payload,
) -> HttpResponse {
    // Read here, not by the Bytes extractor, so an oversized body gets an OAuth error in JSON
    // like every other failure of this endpoint (not the framework's plain-text 413).
    let body = read_limited(&mut payload, TOKEN_BODY_LIMIT).await;
    let request = match body {
        Ok(body) => parse_request(&req, &body),
        Err(BodyError::Unreadable) => Err(Refusal::Unreadable),
        Err(BodyError::TooLarge) => Err(Refusal::TooLarge),
    };
    let request = match request {
        Ok(r) => r,
        Err(refusal) => return refusal.response(false),
    };
    let issued = api_apps::issue_token(
        &state.core,
        &request.client_id,
        &request.secret,
        request.scope.as_deref(),
    )
    .await;
    match issued {
        Ok(Ok(t)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(TokenResponse {
                access_token: t.token,
                token_type: "Bearer".into(),
                expires_in: t.expires_in,
                scope: t.scopes.join(" "),
            }),
        Ok(Err(TokenError::InvalidClient)) => Refusal::UnknownClient.response(request.basic),
        Ok(Err(TokenError::InvalidScope(s))) => Refusal::Scope(s).response(request.basic),
        Err(e) => {
            tracing::error!(error = ?e, "token endpoint failed");
            Refusal::Unavailable.response(request.basic)
        }
    }
}

/// A well-formed token request.
struct TokenRequest {
    client_id: String,
    secret: String,
    scope: Option<String>,
    /// The client authenticated with HTTP Basic (a 401 then asks for it again).
    basic: bool,
}

/// Why a token request is refused: each answers one OAuth error (RFC 6749 §5.2).
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    Unreadable,
    TooLarge,
    NotForm,
    BadBasic,
    TwoWays,
    NoClient,
    NoGrantType,
    UnsupportedGrant,
    UnknownClient,
    Scope(String),
    Unavailable,
}

impl Refusal {
    fn response(&self, basic: bool) -> HttpResponse {
        use StatusCode as S;
        let (status, error, description) = match self {
            Self::Unreadable => (
                S::BAD_REQUEST,
                "invalid_request",
                "The body could not be read.".into(),
            ),
            Self::TooLarge => (
                S::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "The body must be at most 4096 bytes.".into(),
            ),
            Self::NotForm => (
                S::BAD_REQUEST,
                "invalid_request",
                "The body must be application/x-www-form-urlencoded.".into(),
            ),
            Self::BadBasic => (
                S::UNAUTHORIZED,
                "invalid_client",
                "The Basic credentials could not be read.".into(),
            ),
            Self::TwoWays => (
                S::BAD_REQUEST,
                "invalid_request",
                "Authenticate the client one way: HTTP Basic or the form body, not both.".into(),
            ),
            Self::NoClient => (
                S::UNAUTHORIZED,
                "invalid_client",
                "Send client_id and client_secret (HTTP Basic or form body).".into(),
            ),
            Self::NoGrantType => (
                S::BAD_REQUEST,
                "invalid_request",
                "grant_type is required.".into(),
            ),
            Self::UnsupportedGrant => (
                S::BAD_REQUEST,
                "unsupported_grant_type",
                "Only grant_type=client_credentials is supported.".into(),
            ),
            Self::UnknownClient => (
                S::UNAUTHORIZED,
                "invalid_client",
                "Unknown client, wrong secret, or the app was revoked.".into(),
            ),
            Self::Scope(s) => (
                S::BAD_REQUEST,
                "invalid_scope",
                format!("The app does not hold the scope {s}."),
            ),
            Self::Unavailable => (
                S::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "Try again shortly.".into(),
            ),
        };
        // A 401 asks for Basic credentials again when the client sent them (or tried to).
        let ask_again = match self {
            Self::BadBasic => true,
            Self::NoClient => false,
            _ => basic,
        };
        oauth_error(status, error, &description, ask_again)
    }
}

fn parse_request(req: &HttpRequest, body: &[u8]) -> Result<TokenRequest, Refusal> {
    let form: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| Refusal::NotForm)?;
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let basic = basic_credentials(req);
    let used_basic = basic.is_some();
    let (client_id, secret) = match (basic, get("client_id"), get("client_secret")) {
        (Some(Err(())), _, _) => return Err(Refusal::BadBasic),
        (Some(Ok(_)), Some(_), _) | (Some(Ok(_)), _, Some(_)) => return Err(Refusal::TwoWays),
        (Some(Ok(c)), None, None) => c,
        (None, Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
        (None, _, _) => return Err(Refusal::NoClient),
    };
    match get("grant_type") {
        Some("client_credentials") => {}
        Some(_) => return Err(Refusal::UnsupportedGrant),
        None => return Err(Refusal::NoGrantType),
    }
    Ok(TokenRequest {
        client_id,
        secret,
        scope: get("scope").map(str::to_string),
        basic: used_basic,
    })
}
