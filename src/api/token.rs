//! `POST /oauth/token`: OAuth 2.0 client credentials (RFC 6749 §4.4). The client
//! authenticates with HTTP Basic or with `client_id`/`client_secret` in the form body.
use actix_web::{http::header, http::StatusCode, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use super::body::{read_limited, BodyError};
use crate::{
    services::api_apps::{self, TokenError},
    startup::AppState,
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
    let body = match read_limited(&mut payload, TOKEN_BODY_LIMIT).await {
        Ok(b) => b,
        Err(BodyError::Unreadable) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The body could not be read.",
                false,
            )
        }
        Err(BodyError::TooLarge) => {
            return oauth_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "The body must be at most 4096 bytes.",
                false,
            )
        }
    };
    let form: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The body must be application/x-www-form-urlencoded.",
                false,
            )
        }
    };
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let basic = basic_credentials(&req);
    let used_basic = basic.is_some();
    let creds = match (basic, get("client_id"), get("client_secret")) {
        (Some(Err(())), _, _) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The Basic credentials could not be read.",
                true,
            )
        }
        (Some(Ok(_)), Some(_), _) | (Some(Ok(_)), _, Some(_)) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Authenticate the client one way: HTTP Basic or the form body, not both.",
                false,
            )
        }
        (Some(Ok(c)), None, None) => c,
        (None, Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
        (None, _, _) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Send client_id and client_secret (HTTP Basic or form body).",
                false,
            )
        }
    };
    match get("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only grant_type=client_credentials is supported.",
                used_basic,
            )
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required.",
                used_basic,
            )
        }
    }
    match api_apps::issue_token(&state.core, &creds.0, &creds.1, get("scope")).await {
        Ok(Ok(t)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(TokenResponse {
                access_token: t.token,
                token_type: "Bearer".into(),
                expires_in: t.expires_in,
                scope: t.scopes.join(" "),
            }),
        Ok(Err(TokenError::InvalidClient)) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client, wrong secret, or the app was revoked.",
            used_basic,
        ),
        Ok(Err(TokenError::InvalidScope(s))) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("The app does not hold the scope {s}."),
            used_basic,
        ),
        Err(e) => {
            tracing::error!(error = ?e, "token endpoint failed");
            oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "Try again shortly.",
                used_basic,
            )
        }
    }
}
