//! RFC 9457 problem details: every API error is JSON naming what went wrong (and which field).
use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use serde::Serialize;
use utoipa::ToSchema;

/// A field that was missing, of the wrong type, or invalid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name as the contract spells it (camelCase).
    pub field: String,
    pub message: String,
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For 400: each field that was wrong.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: errors travel through many `Result`s and should stay small.
    pub problem: Box<Problem>,
    pub retry_after: Option<u64>,
    pub www_authenticate: Option<&'static str>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.problem.detail)
    }
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            problem: Box::new(Problem {
                kind: format!("/api/problems/{kind}"),
                title: title.into(),
                status: status.as_u16(),
                detail: detail.into(),
                errors: vec![],
            }),
            retry_after: None,
            www_authenticate: None,
        }
    }

    pub fn bad_request(errors: Vec<FieldError>) -> Self {
        let detail = match errors.first() {
            Some(e) => format!("{}: {}", e.field, e.message),
            None => "The request is not valid.".into(),
        };
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            "Invalid request",
            detail,
        );
        e.problem.errors = errors;
        e
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::bad_request(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn unauthorized(detail: &str) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            detail,
        );
        e.www_authenticate = Some("Bearer realm=\"partner-api\"");
        e
    }

    pub fn forbidden(scope: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient-scope",
            "Insufficient scope",
            format!("This call needs the scope {scope}."),
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "No such customer registration for this partner.",
        )
    }

    pub fn too_many(retry_after: u64, detail: &str) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            detail,
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            format!(
                "Something went wrong; request id {}.",
                crate::error::current_request_id()
            ),
        )
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        tracing::error!(request_id = %crate::error::current_request_id(), error = ?e, "API request failed");
        Self::internal()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type("application/problem+json");
        if let Some(s) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        if let Some(w) = self.www_authenticate {
            res.insert_header((header::WWW_AUTHENTICATE, w));
        }
        res.body(serde_json::to_string(&self.problem).unwrap_or_default())
    }
}
