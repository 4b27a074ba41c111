//! `/partner/external/v3/general/customers`: onboard a customer to the current partner, list
//! the partner's registrations, read one.
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::{
    body::{read_json, FieldRead, Fields},
    caller::{Caller, ReadCustomers, WriteCustomers},
    problem::{ApiError, FieldError, Problem},
};
use crate::{
    domain::{registration::Status, Email},
    services::{
        api_apps::ApiClient,
        idempotency::{self, Begin},
        onboarding::{self, Onboard, OnboardError},
        registrations::CustomerRow,
    },
    state::AppState,
};

pub const PATH: &str = "/partner/external/v3/general/customers";

/// The onboarding request (vendor contract). Field names are camelCase; the case of the first
/// letter is ignored (`RegistrationAccount` is accepted).
#[derive(ToSchema)]
#[schema(as = OnboardRequest, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct OnboardRequestDoc {
    #[schema(min_length = 1, max_length = 200)]
    first_name: String,
    #[schema(min_length = 1, max_length = 200)]
    last_name: String,
    #[schema(min_length = 1, max_length = 200)]
    organization_name: String,
    /// The customer's email: the account to link, or the new account's login.
    #[schema(format = "email", max_length = 254)]
    registration_account: String,
    /// ISO 3166-1 alpha-2.
    #[schema(min_length = 1, max_length = 2)]
    country_code: String,
    telephone_number: Option<String>,
    #[schema(min_length = 1, max_length = 64)]
    data_center: String,
    /// Present: register a new account with this password. Absent: link the existing account.
    #[schema(min_length = 1, max_length = 128)]
    password: Option<String>,
    tags: Option<Vec<String>>,
    /// Defaults to false.
    management_mode: Option<bool>,
}

/// A rule or field that made the status other than 1.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnboardError5 {
    /// A stable name, e.g. `no_credit_balance`, `invalid_field`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

/// 1 success, 2 add to current partner failed, 3 customer does not exist, 4 register customer
/// failed, 5 customer is managed by current partner, 6 customer is same as current partner,
/// 7 customer exists.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnboardResponse {
    /// The registration's id (status 1, and 5 for the existing one).
    pub id: Option<String>,
    /// The customer account's id.
    pub customer_id: Option<String>,
    #[schema(minimum = 1, maximum = 7)]
    pub status: u8,
    pub errors: Vec<OnboardError5>,
}

/// Every field the onboarding parser reads, with its type and whether it is required: the
/// tests compare this with the request schema of the served OpenAPI document.
pub fn accepted_fields() -> Vec<FieldRead> {
    let empty = serde_json::Map::new();
    let mut f = Fields::new(&empty);
    let _ = read_fields(&mut f);
    f.read
}

fn parse(map: &serde_json::Map<String, serde_json::Value>) -> Result<Onboard, ApiError> {
    let mut f = Fields::new(map);
    let r = read_fields(&mut f);
    let mut errors = f.errors;
    if r.password.as_deref().is_some_and(|p| p.is_empty()) {
        errors.push(FieldError {
            field: "password".into(),
            message: "Leave the password out to link an existing account; do not send it empty."
                .into(),
        });
    }
    let email = match Email::parse(&r.registration_account) {
        Ok(e) => Some(e),
        Err(e) => {
            if !errors.iter().any(|x| x.field == "registrationAccount") {
                errors.push(FieldError {
                    field: "registrationAccount".into(),
                    message: e.0,
                });
            }
            None
        }
    };
    match (errors.is_empty(), email) {
        (true, Some(registration_account)) => Ok(Onboard {
            first_name: r.first_name,
            last_name: r.last_name,
            organization_name: r.organization_name,
            registration_account,
            country_code: r.country_code,
            telephone_number: r.telephone_number,
            data_center: r.data_center,
            password: r.password,
            tags: r.tags,
            management_mode: r.management_mode,
        }),
        _ => Err(ApiError::bad_request(errors)),
    }
}

/// The body's fields as read, before the email is parsed.
struct RawOnboard {
    first_name: String,
    last_name: String,
    organization_name: String,
    registration_account: String,
    country_code: String,
    telephone_number: Option<String>,
    data_center: String,
    password: Option<String>,
    tags: Vec<String>,
    management_mode: bool,
}

fn read_fields(f: &mut Fields) -> RawOnboard {
    RawOnboard {
        first_name: f.string("firstName"),
        last_name: f.string("lastName"),
        organization_name: f.string("organizationName"),
        registration_account: f.string("registrationAccount"),
        country_code: f.string("countryCode"),
        telephone_number: f.opt_string("telephoneNumber"),
        data_center: f.string("dataCenter"),
        password: f.opt_string("password"),
        tags: f.string_array("tags"),
        management_mode: f.opt_bool("managementMode").unwrap_or(false),
    }
}

const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

#[utoipa::path(
    post,
    path = "/partner/external/v3/general/customers",
    tag = "customers",
    request_body(content = OnboardRequestDoc, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely: the first answer is returned again for the same body.")),
    security(("bearer" = ["elements.customers.readwrite.all"]), ("oauth2" = ["elements.customers.readwrite.all"])),
    responses(
        (status = 200, description = "Processed; `status` says what happened", body = OnboardResponse),
        (status = 400, description = "Malformed JSON, a missing field or a wrong type (each named)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks elements.customers.readwrite.all", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "This Idempotency-Key was used with another body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn onboard(
    caller: Caller<WriteCustomers>,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    idempotency_key(&req)?;
    let (raw, map) = read_json(&req, payload).await?;
    idempotent(&req, &state, &caller, &raw, || async {
        let o = parse(&map)?;
        match onboarding::onboard(&state.core, &caller, o).await {
            Ok(outcome) => {
                let body = serde_json::to_string(&OnboardResponse {
                    id: outcome.id.map(|i| i.to_string()),
                    customer_id: outcome.customer_id.map(|i| i.to_string()),
                    status: outcome.status,
                    errors: outcome
                        .errors
                        .into_iter()
                        .map(|p| OnboardError5 {
                            code: p.code,
                            field: p.field,
                            message: p.message,
                        })
                        .collect(),
                })
                .unwrap_or_default();
                Ok(IdempotentAnswer {
                    status: StatusCode::OK,
                    body,
                })
            }
            Err(OnboardError::Busy) => Err(ApiError::too_many(
                1,
                "The server is busy hashing passwords. Retry shortly.",
            )),
            Err(e) => {
                tracing::error!(request_id = %crate::error::current_request_id(), error = ?e, "onboarding failed");
                Err(ApiError::internal())
            }
        }
    })
    .await
}

/// The request's Idempotency-Key, if it sent one (1 to 255 visible characters).
pub(super) fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get(IDEMPOTENCY_HEADER) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .map(|k| Some(k.to_string()))
            .ok_or_else(|| {
                ApiError::field(IDEMPOTENCY_HEADER, "Use 1 to 255 visible ASCII characters.")
            }),
    }
}

/// A write's successful answer, kept for replays of its Idempotency-Key.
pub struct IdempotentAnswer {
    pub status: StatusCode,
    pub body: String,
}

/// Runs a write once per Idempotency-Key (when the request sent one): a repeat with the same
/// body gets the first answer again (`Idempotent-Replayed: true`), another body is refused
/// (422), a repeat while the first still runs is told so (409). A success or a 400 is kept;
/// any other failure forgets the key so the client can retry.
pub async fn idempotent<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    client: &ApiClient,
    raw: &[u8],
    action: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<IdempotentAnswer, ApiError>>,
{
    let key = idempotency_key(req)?;
    if let Some(key) = &key {
        let hash = hex::encode(Sha256::digest(raw));
        match idempotency::begin(&state.core, client.app.id, key, &hash).await? {
            Begin::Proceed => {}
            Begin::Replay { status, body } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
                return Ok(HttpResponse::build(status)
                    .content_type(content_type)
                    .insert_header(("Idempotent-Replayed", "true"))
                    .body(body))
            }
            Begin::Mismatch => {
                return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-mismatch", "Idempotency-Key reused", "This Idempotency-Key was used with a different body. Use a new key for a new request."))
            }
            Begin::InProgress => {
                return Err(ApiError::new(StatusCode::CONFLICT, "idempotency-in-progress", "Request in progress", "A request with this Idempotency-Key is still being processed. Retry shortly."))
            }
        }
    }
    let result = action().await;
    match (&key, &result) {
        // A final answer (success or a client error) is kept for replays.
        (Some(k), Ok(a)) => {
            idempotency::finish(&state.core, client.app.id, k, a.status.as_u16(), &a.body).await?
        }
        (Some(k), Err(e)) if e.status == StatusCode::BAD_REQUEST => {
            idempotency::finish(
                &state.core,
                client.app.id,
                k,
                400,
                &serde_json::to_string(&e.problem).unwrap_or_default(),
            )
            .await?
        }
        (Some(k), Err(_)) => idempotency::abandon(&state.core, client.app.id, k).await?,
        _ => {}
    }
    let a = result?;
    Ok(HttpResponse::build(a.status)
        .content_type("application/json")
        .body(a.body))
}

/// One registration as the API shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub id: String,
    pub customer_id: String,
    pub organization_name: String,
    pub registration_account: String,
    pub friendly_name: String,
    /// `pending_customer`, `pending_approval`, `active`, `declined`, `expired`, `cancelled`,
    /// `rejected` or `ended`.
    pub status: String,
    /// Percent, e.g. "12.5%".
    pub commission_rate: String,
    pub management_mode: bool,
    pub customer_type: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationPage {
    pub items: Vec<Registration>,
    pub page: u64,
    pub page_size: u64,
    pub has_more: bool,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListQuery {
    /// 1-based page number.
    #[param(minimum = 1, maximum = 100000)]
    page: Option<u64>,
    /// Rows per page (1–100, default 50).
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u64>,
    /// Only registrations in this status.
    #[param(
        pattern = "^(pending_customer|pending_approval|active|declined|expired|cancelled|rejected|ended)$"
    )]
    status: Option<String>,
    /// Only registrations whose company, email or friendly name contains this text, in any
    /// case (at most 200 characters, no control characters).
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    search: Option<String>,
}

impl From<CustomerRow> for Registration {
    fn from(r: CustomerRow) -> Self {
        Registration {
            id: r.id.to_string(),
            customer_id: r.account_id.to_string(),
            organization_name: r.company_name,
            registration_account: r.primary_email,
            friendly_name: r.friendly_name,
            status: r.status.as_str().into(),
            commission_rate: r.commission.to_string(),
            management_mode: r.management_mode,
            customer_type: r.customer_type.as_str().into(),
            created_at: r.created_at.to_rfc3339(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/partner/external/v3/general/customers",
    tag = "customers",
    params(ListQuery),
    security(("bearer" = ["elements.customers.read.all"]), ("oauth2" = ["elements.customers.read.all"])),
    responses(
        (status = 200, description = "The partner's registrations, newest first", body = RegistrationPage),
        (status = 400, description = "A query parameter is invalid (named)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks a customers scope", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn list(
    caller: Caller<ReadCustomers>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| ApiError::field("query", "The query string could not be read."))?;
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    let num = |k: &str, default: u64, max: u64| -> Result<u64, ApiError> {
        match get(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::field(k, format!("Use a whole number from 1 to {max}."))),
        }
    };
    let page = num("page", 1, 100_000)?;
    let page_size = num("pageSize", 50, 100)?;
    let status = match get("status") {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| ApiError::field("status", "Use one of pending_customer, pending_approval, active, declined, expired, cancelled, rejected, ended."))?),
    };
    let search = get("search").unwrap_or("");
    if search.chars().count() > 200 {
        return Err(ApiError::field("search", "Use at most 200 characters."));
    }
    if search.chars().any(char::is_control) {
        return Err(ApiError::field("search", "Use printable characters only."));
    }
    let (rows, has_more) = onboarding::list(
        &state.core,
        caller.partner.id,
        search,
        status,
        page,
        page_size,
    )
    .await
    .map_err(|_| ApiError::internal())?;
    let items = rows.into_iter().map(Registration::from).collect();
    Ok(HttpResponse::Ok().json(RegistrationPage {
        items,
        page,
        page_size,
        has_more,
    }))
}

#[utoipa::path(
    get,
    path = "/partner/external/v3/general/customers/{id}",
    tag = "customers",
    params(("id" = String, Path, description = "The registration id")),
    security(("bearer" = ["elements.customers.read.all"]), ("oauth2" = ["elements.customers.read.all"])),
    responses(
        (status = 200, description = "The registration", body = Registration),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks a customers scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration for this partner", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn get(
    caller: Caller<ReadCustomers>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.parse().map_err(|_| ApiError::not_found())?;
    let (reg, account) = onboarding::get(&state.core, caller.partner.id, id)
        .await
        .map_err(|_| ApiError::internal())?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok().json(Registration::from(CustomerRow {
        id: reg.id,
        account_id: account.id,
        company_name: account.company_name,
        primary_email: account.primary_email,
        account_active: account.active,
        friendly_name: reg.friendly_name,
        customer_type: reg.customer_type,
        commission: reg.commission,
        management_mode: reg.management_mode,
        status: reg.status,
        created_at: reg.created_at,
        usage: None,
        next_expiry: None,
        paid_12m_minor: 0,
    })))
}
