//! The partner JSON API (seed 001): OAuth 2.0 client-credentials tokens, the customer
//! onboarding endpoints and orders for customers, described by an OpenAPI 3.1 document generated from this code.
//! Errors are RFC 9457 problem details; no input makes it answer 500.
pub mod body;
pub mod commission;
pub mod customers;
pub mod limiter;
pub mod openapi;
pub mod orders;
pub mod problem;
pub mod token;

use std::time::Instant;

use actix_web::{http::header, web, HttpRequest, HttpResponse};

use crate::{
    services::api_apps::{self, ApiClient, Call},
    state::AppState,
};
use problem::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/token", web::post().to(token::token))
        .route("/api/openapi.json", web::get().to(openapi::document))
        .route(customers::PATH, web::post().to(customers::onboard))
        .route(customers::PATH, web::get().to(customers::list))
        .route(
            &format!("{}/{{id}}", customers::PATH),
            web::get().to(customers::get),
        )
        .route(
            &format!("{}/{{id}}/orders", customers::PATH),
            web::post().to(orders::place),
        )
        .route(
            &format!("{}/{{id}}/licenses", customers::PATH),
            web::get().to(orders::licenses),
        )
        .route(commission::PATH, web::get().to(commission::statements))
        .route(
            &format!("{}/{{id}}/lines", commission::PATH),
            web::get().to(commission::lines),
        );
}

/// The caller behind the bearer token, with its rate limit applied.
pub async fn client(req: &HttpRequest, state: &AppState) -> Result<ApiClient, ApiError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "Send an access token from POST /oauth/token as `Authorization: Bearer <token>`.",
            )
        })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            ApiError::unauthorized("The Authorization header must be `Bearer <token>`.")
        })?;
    let client = api_apps::authenticate(&state.core, token)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(
                "The access token is unknown, expired or revoked. Request a new one.",
            )
        })?;
    if let Err(wait) = state.api_limiter.check(client.app.id.uuid()) {
        return Err(ApiError::too_many(
            wait,
            "This app sent too many requests. Wait as Retry-After says.",
        ));
    }
    Ok(client)
}

/// Turns a handler's result into the response, and logs the call for the app's page.
pub fn finish(
    state: &AppState,
    client: Option<&ApiClient>,
    req: &HttpRequest,
    started: Instant,
    result: Result<HttpResponse, ApiError>,
) -> HttpResponse {
    let res = result.unwrap_or_else(|e| actix_web::ResponseError::error_response(&e));
    if let Some(c) = client {
        let _ = state.api_calls.try_send(Call {
            app_id: c.app.id,
            method: req.method().to_string(),
            path: req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            status: res.status().as_u16(),
            duration_ms: started.elapsed().as_millis().min(i32::MAX as u128) as i32,
            at: state.core.now(),
        });
    }
    res
}
