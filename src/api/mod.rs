//! The partner JSON API (seed 001): OAuth 2.0 client-credentials tokens, the customer
//! onboarding endpoints and orders for customers, described by an OpenAPI 3.1 document generated from this code.
//! Errors are RFC 9457 problem details; no input makes it answer 500. Every endpoint but the
//! token and the document sits behind [`caller::authenticate`] (token, rate limit, call log)
//! and takes a [`caller::Caller`] naming the scope it needs.
pub mod body;
pub mod caller;
pub mod commission;
pub mod customers;
pub mod limiter;
pub mod openapi;
pub mod orders;
pub mod problem;
pub mod token;

use actix_web::{guard, http::Method, middleware::from_fn, web, FromRequest, Handler, Responder};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/token", web::post().to(token::token))
        .route("/api/openapi.json", web::get().to(openapi::document));
    let customer = |tail: &str| format!("{}/{{id}}{tail}", customers::PATH);
    authenticated(cfg, Method::POST, customers::PATH, customers::onboard);
    authenticated(cfg, Method::GET, customers::PATH, customers::list);
    authenticated(cfg, Method::GET, &customer(""), customers::get);
    authenticated(cfg, Method::POST, &customer("/orders"), orders::place);
    authenticated(cfg, Method::GET, &customer("/licenses"), orders::licenses);
    authenticated(cfg, Method::GET, commission::PATH, commission::statements);
    authenticated(
        cfg,
        Method::GET,
        &format!("{}/{{id}}/lines", commission::PATH),
        commission::lines,
    );
}

/// An endpoint behind [`caller::authenticate`]. Each is its own resource guarded by its
/// method, so another method on the same path still falls through to the app's 404.
fn authenticated<F, Args>(cfg: &mut web::ServiceConfig, method: Method, path: &str, handler: F)
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    cfg.service(
        web::resource(path)
            .guard(guard::Method(method))
            .wrap(from_fn(caller::authenticate))
            .to(handler),
    );
}
