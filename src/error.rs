//! One error type for the HTML face: "not signed in" becomes a redirect to the sign-in page,
//! "denied" a 403 page, bad input a 400 page, and anything unexpected a 500 page that shows
//! the request id while the log keeps the cause.
use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use askama::Template;

use crate::web::urls;
use crate::{
    security::password::HashError,
    services::{
        accounts::{AccountError, ImportError},
        api_apps::AppsError,
        auth::{ChangePasswordError, ResetError, SignInError},
        catalog::{self, CatalogError},
        customer_prices::CustomerPriceError,
        invoices::InvoiceError,
        orders::OrderError,
        pricing::PricingError,
        registrations::RegError,
        signup::SignupError,
        staff::StaffError,
        tokens::LinkProblem,
        Fault,
    },
    web::ctx::Ctx,
};

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
    /// Signed in, but a required second factor is not set up yet: the set-up page.
    #[error("second factor not set up")]
    SetUpSecondFactor,
    /// A sensitive action needs a code entered within the last minutes: the code page, then
    /// back to `next`.
    #[error("a fresh second-factor code is needed")]
    StepUp { next: String },
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The action does not fit the record's state (already done, not allowed now, taken).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A link that worked once and works no more (used or expired).
    #[error("gone: {0}")]
    Gone(String),
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
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
            e => Self::Unexpected(e.into()),
        }
    }
}

// One mapping from every service error to an answer, so the same refusal answers the same
// status on every page: not found (or another org's record) → 404, a state that does not
// allow the action or a taken email → 409, a dead link → 404 or 410, busy hashing → 429,
// anything else → 500 with its cause logged. Pages that show a refusal next to a field handle
// those variants before falling back to these.

impl From<Fault> for AppError {
    fn from(e: Fault) -> Self {
        match e {
            Fault::Hash(h) => h.into(),
            e => Self::Unexpected(e.into()),
        }
    }
}

impl From<LinkProblem> for AppError {
    fn from(p: LinkProblem) -> Self {
        match p {
            LinkProblem::Unknown => Self::NotFound,
            LinkProblem::Used | LinkProblem::Expired => Self::Gone(p.to_string()),
        }
    }
}

pub use crate::services::sentence;

impl From<RegError> for AppError {
    fn from(e: RegError) -> Self {
        match e {
            RegError::NotFound => Self::NotFound,
            RegError::NotAllowed(e) => Self::Conflict(sentence(e)),
            RegError::Ineligible(v) => Self::Conflict(
                v.iter()
                    .filter(|v| !v.passed)
                    .map(|v| v.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            RegError::AccountExists => Self::Conflict(sentence(RegError::AccountExists)),
            RegError::Link(p) => p.into(),
            e @ RegError::Answered { .. } => Self::Gone(sentence(e)),
            RegError::Fault(f) => f.into(),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => Self::NotFound,
            AccountError::EmailTaken => Self::Conflict(sentence(AccountError::EmailTaken)),
            AccountError::Fault(f) => f.into(),
        }
    }
}

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => Self::NotFound,
            e @ (CatalogError::SkuTaken | CatalogError::KindLocked) => Self::Conflict(sentence(e)),
            CatalogError::Fault(f) => f.into(),
        }
    }
}

impl From<CustomerPriceError> for AppError {
    fn from(e: CustomerPriceError) -> Self {
        match e {
            CustomerPriceError::NotFound => Self::NotFound,
            CustomerPriceError::Pricing(e) => e.into(),
            e => Self::Conflict(sentence(e)),
        }
    }
}

impl From<InvoiceError> for AppError {
    fn from(e: InvoiceError) -> Self {
        match e {
            InvoiceError::NotFound => Self::NotFound,
            InvoiceError::Fault(f) => f.into(),
            e => Self::Conflict(sentence(e)),
        }
    }
}

impl From<crate::services::credit_notes::CreditNoteError> for AppError {
    fn from(e: crate::services::credit_notes::CreditNoteError) -> Self {
        use crate::services::credit_notes::CreditNoteError;
        match e {
            CreditNoteError::Invoice(e) => e.into(),
            e => Self::Conflict(sentence(e)),
        }
    }
}

impl From<crate::services::credits::CreditError> for AppError {
    fn from(e: crate::services::credits::CreditError) -> Self {
        use crate::services::credits::CreditError;
        match e {
            CreditError::NotFound => Self::NotFound,
            CreditError::Fault(f) => f.into(),
            CreditError::Refused(r) => crate::services::invoices::InvoiceError::Refused(r).into(),
            CreditError::Invalid { .. } => Self::BadRequest(sentence(e)),
            e => Self::Conflict(sentence(e)),
        }
    }
}

impl From<OrderError> for AppError {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::NotFound => Self::NotFound,
            OrderError::Fault(f) => f.into(),
            OrderError::Invalid(_) | OrderError::Overflow => Self::BadRequest(sentence(e)),
            e => Self::Conflict(sentence(e)),
        }
    }
}

impl From<PricingError> for AppError {
    fn from(e: PricingError) -> Self {
        match e {
            PricingError::NotFound => Self::NotFound,
            PricingError::Overflow => Self::BadRequest(sentence(PricingError::Overflow)),
            PricingError::Fault(f) => f.into(),
        }
    }
}

impl From<catalog::ImportError> for AppError {
    fn from(e: catalog::ImportError) -> Self {
        match e {
            catalog::ImportError::Catalog(e) => e.into(),
            e => Self::BadRequest(e.to_string()),
        }
    }
}

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Account(e) => e.into(),
            e => Self::BadRequest(e.to_string()),
        }
    }
}

impl From<crate::services::members::MemberError> for AppError {
    fn from(e: crate::services::members::MemberError) -> Self {
        use crate::services::members::MemberError as E;
        match e {
            E::NotFound => Self::NotFound,
            E::Forbidden => Self::Forbidden,
            E::Link(p) => p.into(),
            E::Fault(f) => f.into(),
            e @ E::InviterGone => Self::Gone(sentence(e)),
            e => Self::Conflict(sentence(e)),
        }
    }
}

impl From<crate::services::revenue::RevenueError> for AppError {
    fn from(e: crate::services::revenue::RevenueError) -> Self {
        use crate::services::revenue::RevenueError as E;
        match e {
            E::NotFound => Self::NotFound,
            E::Fault(f) => f.into(),
            e => Self::Conflict(sentence(e)),
        }
    }
}

impl From<SignupError> for AppError {
    fn from(e: SignupError) -> Self {
        match e {
            SignupError::Link(p) => p.into(),
            SignupError::EmailTaken => Self::Conflict(sentence(SignupError::EmailTaken)),
            SignupError::Fault(f) => f.into(),
        }
    }
}

impl From<StaffError> for AppError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::NotFound => Self::NotFound,
            StaffError::EmailTaken => Self::Conflict(sentence(StaffError::EmailTaken)),
            StaffError::Fault(f) => f.into(),
        }
    }
}

impl From<AppsError> for AppError {
    fn from(e: AppsError) -> Self {
        match e {
            AppsError::NotFound => Self::NotFound,
            AppsError::Fault(f) => f.into(),
        }
    }
}

impl From<ResetError> for AppError {
    fn from(e: ResetError) -> Self {
        match e {
            ResetError::Link(p) => p.into(),
            ResetError::Fault(f) => f.into(),
        }
    }
}

impl From<ChangePasswordError> for AppError {
    fn from(e: ChangePasswordError) -> Self {
        match e {
            ChangePasswordError::WrongCurrent => {
                Self::BadRequest(sentence(ChangePasswordError::WrongCurrent))
            }
            ChangePasswordError::Fault(f) => f.into(),
        }
    }
}

impl From<SignInError> for AppError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Throttled { .. } => Self::TooManyRequests(e.to_string()),
            SignInError::Fault(f) => f.into(),
            e => Self::BadRequest(e.to_string()),
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
    ctx: Ctx,
    status: StatusCode,
    title: &str,
    message: &str,
    request_id: Option<String>,
) -> HttpResponse {
    let page = ErrorPage {
        ctx,
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

impl AppError {
    /// The title and message of the page a person sees for this error, but for the failures
    /// of the portal itself (which log and show a request id) and "not signed in" (a redirect).
    fn page_text(&self) -> Option<(&'static str, &str)> {
        Some(match self {
            Self::Forbidden => (
                "Not allowed",
                "Your account does not have access to this page.",
            ),
            Self::NotFound => (
                "Page not found",
                "There is nothing here. Check the address, or go back to the home page.",
            ),
            Self::Csrf => (
                "This form has expired",
                "For your security the form could not be accepted. Go back, reload the page and try again.",
            ),
            Self::BadRequest(msg) => ("Bad request", msg),
            Self::Conflict(msg) => ("This cannot be done now", msg),
            Self::Gone(msg) => ("This link no longer works", msg),
            Self::TooManyRequests(msg) => ("Too many requests", msg),
            Self::NotSignedIn { .. }
            | Self::SetUpSecondFactor
            | Self::StepUp { .. }
            | Self::Unexpected(_) => return None,
        })
    }

    /// The error's page again with `ctx` (the signed-in user's header), when it has one.
    pub fn page_with(&self, ctx: Ctx, status: StatusCode) -> Option<HttpResponse> {
        if let (Self::Forbidden, Some(a)) = (self, &ctx.acting) {
            // Login As: say why, and how back.
            let message = format!(
                "You are signed in as {} on behalf of {}. While you act as a customer user, \
                 partner and staff pages, API apps, password and email changes and Login As \
                 itself are not available. Return to {} (the button at the top) to use them.",
                a.whom, a.partner, a.partner
            );
            return Some(error_page(
                ctx,
                status,
                "Not while you act as a customer",
                &message,
                None,
            ));
        }
        let (title, message) = self.page_text()?;
        Some(error_page(ctx, status, title, message, None))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotSignedIn { .. } | Self::SetUpSecondFactor | Self::StepUp { .. } => {
                StatusCode::SEE_OTHER
            }
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
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
            Self::SetUpSecondFactor => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/account/two-factor"))
                .finish(),
            Self::StepUp { next } => {
                let target = format!(
                    "/account/verify?next={}",
                    serde_urlencoded::to_string([("", next)])
                        .unwrap_or_default()
                        .trim_start_matches('=')
                );
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .finish()
            }
            Self::Unexpected(cause) => {
                let request_id = current_request_id();
                tracing::error!(request_id = %request_id, error = ?cause, "request failed");
                error_page(
                    Ctx::bare(),
                    status,
                    "Something went wrong",
                    "The error has been logged. Try again in a moment; if it keeps happening, send us the request id below.",
                    Some(request_id),
                )
            }
            _ => {
                let mut res = self
                    .page_with(Ctx::bare(), status)
                    .unwrap_or_else(|| HttpResponse::build(status).finish());
                if matches!(self, Self::TooManyRequests(_)) {
                    res.headers_mut()
                        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
                }
                res
            }
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<crate::services::two_factor::CodeError> for AppError {
    fn from(e: crate::services::two_factor::CodeError) -> Self {
        use crate::services::two_factor::CodeError;
        match e {
            CodeError::Fault(f) => f.into(),
            CodeError::Throttled { .. } => Self::TooManyRequests(e.to_string()),
            CodeError::Invalid(m) => Self::BadRequest(m),
            CodeError::Refused(_) => Self::Forbidden,
        }
    }
}

impl From<crate::services::two_factor::ResetError> for AppError {
    fn from(e: crate::services::two_factor::ResetError) -> Self {
        use crate::services::two_factor::ResetError;
        match e {
            ResetError::Fault(f) => f.into(),
            ResetError::NotFound => Self::NotFound,
            e => Self::Conflict(e.to_string()),
        }
    }
}
