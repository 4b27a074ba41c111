//! `/partner/external/v3/general/commission/statements` and `…/statements/{id}/lines`: the
//! partner's monthly commission statements (newest first) and the lines behind one. Scope
//! `elements.commission.read.all`.
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    caller::{Caller, Commission},
    problem::ApiError,
};
use crate::{
    services::revenue::{self, Line, RevenueError, StatementView},
    state::AppState,
};

pub const PATH: &str = "/partner/external/v3/general/commission/statements";

/// The most statements one answer lists (two years in three currencies).
const STATEMENTS: u64 = 72;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatementList {
    pub items: Vec<StatementView>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineList {
    pub items: Vec<Line>,
}

fn refusal(e: RevenueError) -> ApiError {
    match e {
        RevenueError::NotFound => ApiError::not_found(),
        e => {
            tracing::error!(request_id = %crate::error::current_request_id(), error = ?e, "reading commission failed");
            ApiError::internal()
        }
    }
}

#[utoipa::path(
    get,
    path = "/partner/external/v3/general/commission/statements",
    tag = "commission",
    security(("bearer" = ["elements.commission.read.all"]), ("oauth2" = ["elements.commission.read.all"])),
    responses(
        (status = 200, description = "The partner's statements, newest month first (at most 72). Amounts in minor units of each statement's currency; closing = opening + earned − reversed − charged.", body = StatementList),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks elements.commission.read.all", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn statements(
    caller: Caller<Commission>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let items = revenue::statements_of(&state.core, caller.partner.id, STATEMENTS)
        .await
        .map_err(refusal)?;
    Ok(HttpResponse::Ok().json(StatementList { items }))
}

#[utoipa::path(
    get,
    path = "/partner/external/v3/general/commission/statements/{id}/lines",
    tag = "commission",
    params(("id" = String, Path, description = "The statement's id")),
    security(("bearer" = ["elements.commission.read.all"]), ("oauth2" = ["elements.commission.read.all"])),
    responses(
        (status = 200, description = "The statement's lines, oldest first", body = LineList),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks elements.commission.read.all", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such statement for this partner", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn lines(
    caller: Caller<Commission>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::not_found())?;
    let items = revenue::statement_lines(&state.core, caller.partner.id, id)
        .await
        .map_err(refusal)?;
    Ok(HttpResponse::Ok().json(LineList { items }))
}

use super::problem::Problem;
