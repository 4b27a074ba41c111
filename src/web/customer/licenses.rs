//! The customer's own licenses (`/my/licenses`): what its partner ordered and who has a seat;
//! the account's admins give and take back seats (seed 002: seats are assigned to the
//! customer's users by the partner, or by the customer's admin).
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ctx::Ctx, fmt_date, fmt_day, parse_id, redirect_with, render, render_invalid, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, CustomerUser},
    domain::{LicenseId, Role},
    error::{AppError, AppResult},
    services::{
        accounts,
        orders::{self as svc, OrderError},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::MY_LICENSES, web::get().to(page))
        .route(urls::MY_LICENSE_ASSIGN, web::post().to(assign))
        .route(urls::MY_LICENSE_UNASSIGN, web::post().to(unassign));
}

struct Holder {
    name: String,
    email: String,
    since: String,
    remove: String,
}

struct Row {
    id: LicenseId,
    /// The form field its errors go next to.
    field: String,
    product: String,
    trial: bool,
    seats: u32,
    used: u32,
    term: String,
    holders: Vec<Holder>,
    free_users: Vec<(String, String)>,
    assign: String,
}

#[derive(Template)]
#[template(path = "my/licenses.html")]
struct Page {
    ctx: Ctx,
    company: String,
    admin: bool,
    licenses: Vec<Row>,
    errors: FieldErrors,
}

async fn build(req: &HttpRequest, state: &AppState, user: &CustomerUser) -> AppResult<Page> {
    let company = accounts::find(&state.core.db.read, user.account_id)
        .await?
        .map(|a| a.company_name)
        .unwrap_or_default();
    let licenses = svc::account_licenses(&state.core, user.account_id)
        .await?
        .into_iter()
        .map(|a| {
            let l = a.license;
            Row {
                field: format!("user-{}", l.id),
                product: format!("{} ({})", l.product_name, l.sku),
                trial: l.trial,
                seats: l.seats,
                used: l.seats_assigned,
                term: if l.trial {
                    fmt_day(l.ends_on)
                } else {
                    format!(
                        "{} to {}{}",
                        fmt_day(l.starts_on),
                        fmt_day(l.ends_on),
                        if l.auto_renew {
                            ", then renews"
                        } else {
                            ", then ends"
                        }
                    )
                },
                holders: a
                    .seats
                    .iter()
                    .map(|s| Holder {
                        name: s.user.name.clone(),
                        email: s.user.email.clone(),
                        since: fmt_date(&s.assigned_at),
                        remove: urls::my_license_unassign(l.id, s.user.id),
                    })
                    .collect(),
                free_users: a
                    .free_users
                    .iter()
                    .map(|u| (u.id.to_string(), format!("{} <{}>", u.name, u.email)))
                    .collect(),
                assign: urls::my_license_assign(l.id),
                id: l.id,
            }
        })
        .collect();
    Ok(Page {
        ctx: Ctx::new(req, Some(&user.principal())),
        company,
        admin: user.user().role == Role::Admin,
        licenses,
        errors: FieldErrors::default(),
    })
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CustomerUser,
) -> AppResult<HttpResponse> {
    render(&build(&req, &state, &user).await?)
}

/// Seats are the admins' to give.
fn admin_only(user: &CustomerUser) -> AppResult<()> {
    if user.user().role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The page again with the refusal next to the license's seat form.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    user: &CustomerUser,
    id: LicenseId,
    e: OrderError,
) -> AppResult<HttpResponse> {
    let mut page = build(req, state, user).await?;
    let field = format!("user-{id}");
    match e {
        OrderError::Invalid(fields) => {
            for (_, m) in fields {
                page.errors.add(&field, m);
            }
        }
        OrderError::Closed(_) => page.errors.add(&field, crate::error::sentence(e)),
        e => return Err(e.into()),
    }
    if !page.licenses.iter().any(|l| l.id == id) {
        return Err(AppError::NotFound);
    }
    render_invalid(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserParams {
    user: String,
}

async fn assign(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: CustomerUser,
    id: web::Path<String>,
    form: CsrfForm<UserParams>,
) -> AppResult<HttpResponse> {
    admin_only(&user)?;
    let id: LicenseId = parse_id(&id)?;
    let Ok(who) = form.0.user.parse() else {
        let e = OrderError::field("user", "Choose a user.");
        return refused(&req, &state, &user, id, e).await;
    };
    match svc::assign_seat(&state.core, &user.actor(), user.account_id, id, who).await {
        Ok(()) => Ok(redirect_with(
            &session,
            urls::MY_LICENSES,
            "success",
            "Seat given.",
        )),
        Err(e) => refused(&req, &state, &user, id, e).await,
    }
}

async fn unassign(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: CustomerUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<UserParams>,
) -> AppResult<HttpResponse> {
    admin_only(&user)?;
    let id: LicenseId = parse_id(&path.0)?;
    let who = parse_id(&path.1)?;
    match svc::unassign_seat(&state.core, &user.actor(), user.account_id, id, who).await {
        Ok(()) => Ok(redirect_with(
            &session,
            urls::MY_LICENSES,
            "success",
            "Seat taken back.",
        )),
        Err(e) => refused(&req, &state, &user, id, e).await,
    }
}
