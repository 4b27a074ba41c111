//! `/partner/external/v3/general/customers/{id}/orders` and `…/licenses`: place an order for
//! one of the partner's active customers (same idempotency and problem details as onboarding)
//! and read the customer's licenses and trials. Scope `elements.orders.readwrite.all`.
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    body::{read_json, FieldRead, Fields},
    caller::{Caller, Orders},
    customers::{idempotency_key, idempotent, IdempotentAnswer},
    problem::{ApiError, FieldError},
};
use crate::{
    domain::{Money, RegistrationId},
    services::{
        orders::{self, OrderError, OrderInput, Placement},
        views::LicenseView,
    },
    state::AppState,
};

/// An order for a customer. Field names are camelCase; the case of the first letter is
/// ignored.
#[derive(ToSchema)]
#[schema(as = OrderRequest, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OrderRequestDoc {
    /// The product's SKU (or its id).
    #[schema(min_length = 1, max_length = 64)]
    product_sku: String,
    /// Units (seats, GB…), within the product's minimum and maximum.
    #[schema(minimum = 1, maximum = 100000)]
    quantity: i64,
    /// `monthly`, `yearly` or `one_off`; absent: the product's own. A monthly product may be
    /// paid yearly (twelve months at once).
    term: Option<String>,
    /// YYYY-MM-DD, today (absent) up to a year ahead.
    #[schema(format = "date")]
    start_date: Option<String>,
    /// ISO 4217 code the product has a price in; absent: its first price.
    #[schema(min_length = 3, max_length = 3)]
    currency: Option<String>,
    /// Renew at the end of each term (subscriptions); defaults to true.
    auto_renew: Option<bool>,
}

/// An amount of money: `amount` in the currency's units as a decimal string, `minor` in its
/// minor units (cents; VND has none).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    pub amount: String,
    pub minor: i64,
    pub currency: String,
}

impl From<Money> for Amount {
    fn from(m: Money) -> Self {
        Self {
            amount: m.amount_text(),
            minor: m.minor,
            currency: m.currency.code().into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderResponse {
    pub id: String,
    /// ORD-000123
    pub number: String,
    /// The license the order made (subscriptions).
    pub license_id: Option<String>,
    pub total: Amount,
}

/// Every field the order parser reads (the tests compare it with the OpenAPI schema).
pub fn accepted_fields() -> Vec<FieldRead> {
    let empty = serde_json::Map::new();
    let mut f = Fields::new(&empty);
    let _ = read_order(&mut f);
    f.read
}

fn read_order(f: &mut Fields) -> OrderInput {
    let product = f.string("productSku");
    let quantity = f.integer("quantity");
    OrderInput {
        product,
        quantity: quantity.map(|q| q.to_string()).unwrap_or_default(),
        term: f.opt_string("term").unwrap_or_default(),
        start: f.opt_string("startDate").unwrap_or_default(),
        currency: f.opt_string("currency").unwrap_or_default(),
        auto_renew: f.opt_bool("autoRenew").unwrap_or(true),
    }
}

/// The contract's name for a field the service refused.
fn api_field(name: &str) -> &str {
    match name {
        "product" => "productSku",
        "start" => "startDate",
        other => other,
    }
}

fn refusal(e: OrderError) -> ApiError {
    match e {
        OrderError::Invalid(fields) => ApiError::bad_request(
            fields
                .into_iter()
                .map(|(f, m)| FieldError {
                    field: api_field(f).into(),
                    message: m,
                })
                .collect(),
        ),
        OrderError::NotFound => ApiError::not_found(),
        e @ OrderError::NotActive => ApiError::new(
            StatusCode::CONFLICT,
            "customer-not-active",
            "Customer not active",
            crate::error::sentence(e),
        ),
        e => {
            tracing::error!(request_id = %crate::error::current_request_id(), error = ?e, "placing an order failed");
            ApiError::internal()
        }
    }
}

#[utoipa::path(
    post,
    path = "/partner/external/v3/general/customers/{id}/orders",
    tag = "orders",
    params(
        ("id" = String, Path, description = "The registration id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely: the first answer is returned again for the same body."),
    ),
    request_body(content = OrderRequestDoc, content_type = "application/json"),
    security(("bearer" = ["elements.orders.readwrite.all"]), ("oauth2" = ["elements.orders.readwrite.all"])),
    responses(
        (status = 201, description = "Placed", body = OrderResponse),
        (status = 400, description = "Malformed JSON, a missing field, a wrong type, or a value the product refuses (each named)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks elements.orders.readwrite.all", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration for this partner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The customer is not active, or a request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "This Idempotency-Key was used with another body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn place(
    caller: Caller<Orders>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let reg: RegistrationId = id.parse().map_err(|_| ApiError::not_found())?;
    let (raw, map) = read_json(&req, payload).await?;
    // The key is also kept on the order, in the order's own transaction: a retry after a
    // crash that lost the stored answer finds that order and answers it again.
    let order_key = idempotency_key(&req)?.map(|k| format!("api:{}:{k}", caller.app.id));
    idempotent(&req, &state, &caller, &raw, || async {
        let mut f = Fields::new(&map);
        let input = read_order(&mut f);
        if !f.errors.is_empty() {
            return Err(ApiError::bad_request(f.errors));
        }
        let actor = crate::services::audit::Actor::system(&format!("API app {}", caller.app.name));
        let placed = orders::place(
            &state.core,
            &actor,
            caller.partner.id,
            reg,
            &input,
            Placement {
                key: order_key,
                via: "api",
            },
            None,
        )
        .await
        .map_err(refusal)?;
        let body = serde_json::to_string(&OrderResponse {
            id: placed.order.to_string(),
            number: placed.number,
            license_id: placed.license.map(|l| l.to_string()),
            total: placed.total.into(),
        })
        .unwrap_or_default();
        Ok(IdempotentAnswer {
            status: StatusCode::CREATED,
            body,
        })
    })
    .await
}

/// A license or trial as the API shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct License {
    pub id: String,
    pub product_sku: String,
    pub product_name: String,
    pub trial: bool,
    pub seats: u32,
    pub seats_assigned: u32,
    /// `monthly`, `yearly` or `trial`.
    pub term: String,
    pub starts_on: String,
    pub ends_on: String,
    pub auto_renew: bool,
    /// `active`, `cancelled`, `expired` or `converted` (a trial that became an order).
    pub status: String,
}

impl From<LicenseView> for License {
    fn from(l: LicenseView) -> Self {
        Self {
            id: l.id.to_string(),
            product_sku: l.sku,
            product_name: l.product_name,
            trial: l.trial,
            seats: l.seats,
            seats_assigned: l.seats_assigned,
            term: l.term.as_str().into(),
            starts_on: l.starts_on.to_string(),
            ends_on: l.ends_on.to_string(),
            auto_renew: l.auto_renew,
            status: l.status.as_str().into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseList {
    pub items: Vec<License>,
}

#[utoipa::path(
    get,
    path = "/partner/external/v3/general/customers/{id}/licenses",
    tag = "orders",
    params(("id" = String, Path, description = "The registration id")),
    security(("bearer" = ["elements.orders.readwrite.all"]), ("oauth2" = ["elements.orders.readwrite.all"])),
    responses(
        (status = 200, description = "The customer's licenses and trials, oldest first", body = LicenseList),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks elements.orders.readwrite.all", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration for this partner", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn licenses(
    caller: Caller<Orders>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reg: RegistrationId = id.parse().map_err(|_| ApiError::not_found())?;
    let items = orders::licenses_for(&state.core, caller.partner.id, reg)
        .await
        .map_err(refusal)?;
    Ok(HttpResponse::Ok().json(LicenseList {
        items: items.into_iter().map(License::from).collect(),
    }))
}

use super::problem::Problem;
