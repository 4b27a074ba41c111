//! What every authenticated partner API call shares, written once: the middleware that reads
//! the bearer token, authenticates it, applies the app's rate limit and logs the call with its
//! final status, and the `Caller<S>` extractor that hands a handler the client once its token
//! holds the scope `S`.
use std::{future::Ready, marker::PhantomData, ops::Deref, rc::Rc, time::Instant};

use actix_web::{
    body::MessageBody,
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
    web, FromRequest, HttpMessage, HttpRequest,
};

use super::problem::ApiError;
use crate::{
    services::api_apps::{
        self, ApiClient, Call, SCOPE_COMMISSION, SCOPE_ORDERS, SCOPE_READ, SCOPE_READWRITE,
    },
    state::AppState,
};

/// Wraps each authenticated endpoint (`actix_web::middleware::from_fn`). A request without a
/// valid token, or over its app's rate limit, never reaches the handler; every call that
/// authenticated is logged for the app's page, whatever the handler answered.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        tracing::error!("the API middleware runs without the application state");
        return Ok(req
            .error_response(ApiError::internal())
            .map_into_right_body());
    };
    let client = match client(req.request(), &state).await {
        Ok(c) => Rc::new(c),
        Err(e) => return Ok(req.error_response(e).map_into_right_body()),
    };
    let app_id = client.app.id;
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    req.extensions_mut().insert(client);
    let res = next.call(req).await;
    let status = match &res {
        Ok(r) => r.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    let _ = state.api_calls.try_send(Call {
        app_id,
        method,
        path,
        status: status.as_u16(),
        duration_ms: started.elapsed().as_millis().min(i32::MAX as u128) as i32,
        at: state.core.now(),
    });
    res.map(ServiceResponse::map_into_left_body)
}

/// The caller behind the bearer token, with its rate limit applied.
async fn client(req: &HttpRequest, state: &AppState) -> Result<ApiClient, ApiError> {
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

/// A scope an endpoint needs: the one a 403 names, and the check of a client's token.
pub trait Scope {
    const NAME: &'static str;
    const HELD_BY: fn(&ApiClient) -> bool;
}

/// A marker type for a scope: its 403 names `$name`, and `$held_by` checks a client's token.
macro_rules! scope {
    ($(#[$doc:meta])* $marker:ident = $name:expr, $held_by:path) => {
        $(#[$doc])*
        pub struct $marker;

        impl Scope for $marker {
            const NAME: &'static str = $name;
            const HELD_BY: fn(&ApiClient) -> bool = $held_by;
        }
    };
}

scope!(
    /// Read customers (held by the read and the read-write scope alike).
    ReadCustomers = SCOPE_READ, ApiClient::can_read
);
scope!(
    /// Onboard customers.
    WriteCustomers = SCOPE_READWRITE, ApiClient::can_write
);
scope!(
    /// Place orders and read licenses.
    Orders = SCOPE_ORDERS, ApiClient::can_order
);
scope!(
    /// Read commission statements.
    Commission = SCOPE_COMMISSION, ApiClient::can_read_commission
);

/// The authenticated client of a request whose token holds the scope `S` (403 otherwise).
/// Only for endpoints behind [`authenticate`], which puts the client in the request.
pub struct Caller<S> {
    client: Rc<ApiClient>,
    scope: PhantomData<S>,
}

impl<S> Deref for Caller<S> {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.client
    }
}

impl<S: Scope> FromRequest for Caller<S> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = match req.extensions().get::<Rc<ApiClient>>() {
            Some(client) if S::HELD_BY(client) => Ok(Caller {
                client: client.clone(),
                scope: PhantomData,
            }),
            Some(_) => Err(ApiError::forbidden(S::NAME)),
            None => {
                tracing::error!(
                    path = req.path(),
                    "an API endpoint is not behind the API middleware"
                );
                Err(ApiError::internal())
            }
        };
        std::future::ready(caller)
    }
}
