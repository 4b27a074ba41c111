//! One error type for the HTML face: "not signed in" becomes a redirect to the sign-in page,
//! "denied" a 403 page, bad input a 400 page, and anything unexpected a 500 page that shows
//! the request id while the log keeps the cause.
use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use askama::Template;

use crate::{auth::password::HashError, web::ctx::Ctx};

tokio::task_local! {
    /// The id of the request being handled, shown on error pages and logged with the cause.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    NotSignedIn { next: String },
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn unexpected(msg: &str) -> Self {
        Self::Unexpected(anyhow::anyhow!(msg.to_string()))
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<HashError> for AppError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => Self::TooManyRequests(
                "The server is busy checking passwords. Wait a moment and try again.".into(),
            ),
            HashError::Failed(m) => Self::Unexpected(anyhow::anyhow!(m)),
        }
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub ctx: Ctx,
    pub status: u16,
    pub title: String,
    pub message: String,
    pub request_id: Option<String>,
}

pub fn error_page(
    status: StatusCode,
    title: &str,
    message: &str,
    request_id: Option<String>,
) -> HttpResponse {
    let page = ErrorPage {
        ctx: Ctx::bare(),
        status: status.as_u16(),
        title: title.to_string(),
        message: message.to_string(),
        request_id,
    };
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(_) => HttpResponse::build(status).body(title.to_string()),
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotSignedIn { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            Self::NotSignedIn { next } => {
                let target = format!(
                    "/login?next={}",
                    serde_urlencoded::to_string([("", next)])
                        .unwrap_or_default()
                        .trim_start_matches('=')
                );
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .finish()
            }
            Self::Forbidden => error_page(
                status,
                "Not allowed",
                "Your account does not have access to this page.",
                None,
            ),
            Self::NotFound => error_page(
                status,
                "Page not found",
                "There is nothing here. Check the address, or go back to the home page.",
                None,
            ),
            Self::Csrf => error_page(
                status,
                "This form has expired",
                "For your security the form could not be accepted. Go back, reload the page and try again.",
                None,
            ),
            Self::BadRequest(msg) => error_page(status, "Bad request", msg, None),
            Self::TooManyRequests(msg) => {
                let mut res = error_page(status, "Too many requests", msg, None);
                res.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
                res
            }
            Self::Unexpected(cause) => {
                let request_id = current_request_id();
                tracing::error!(request_id = %request_id, error = ?cause, "request failed");
                error_page(
                    status,
                    "Something went wrong",
                    "The error has been logged. Try again in a moment; if it keeps happening, send us the request id below.",
                    Some(request_id),
                )
            }
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
