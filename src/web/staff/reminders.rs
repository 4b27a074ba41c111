//! Staff's schedule of payment reminders to customers (`/staff/reminders`): the days, relative
//! to an invoice's due date, on which the customer is sent its open invoice's link again.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, redirect_with, render, render_invalid, FieldErrors};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    error::AppResult,
    services::reminders::{self as svc, ReminderError},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF_REMINDERS, web::get().to(page))
        .route(urls::STAFF_REMINDERS, web::post().to(save));
}

#[derive(Template)]
#[template(path = "staff/reminders.html")]
struct Page {
    ctx: Ctx,
    /// (day, how it reads)
    days: Vec<(i32, String)>,
    day: String,
    errors: FieldErrors,
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    staff: &StaffUser,
    day: String,
) -> AppResult<Page> {
    let days = svc::schedule(&state.core)
        .await
        .map_err(|e| crate::error::AppError::Unexpected(e.into()))?
        .into_iter()
        .map(|d| (d, svc::describe(d)))
        .collect();
    Ok(Page {
        ctx: Ctx::new(req, Some(&staff.principal())),
        days,
        day,
        errors: FieldErrors::default(),
    })
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
) -> AppResult<HttpResponse> {
    render(&build(&req, &state, &staff, String::new()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Params {
    day: String,
    /// `remove` takes the day away.
    action: String,
}

async fn save(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    form: CsrfForm<Params>,
) -> AppResult<HttpResponse> {
    let p = form.0;
    let on = p.action != "remove";
    let result = match svc::parse_day(&p.day) {
        Ok(day) => svc::set_day(&state.core, &staff.actor(), day, on)
            .await
            .map(|()| day),
        Err(e) => Err(e),
    };
    match result {
        Ok(day) => Ok(redirect_with(
            &session,
            urls::STAFF_REMINDERS,
            "success",
            &format!(
                "{} {}.",
                if on {
                    "Reminders now go out"
                } else {
                    "No more reminders"
                },
                svc::describe(day).to_lowercase()
            ),
        )),
        Err(e @ ReminderError::Day) => {
            let mut page = build(&req, &state, &staff, p.day.trim().to_string()).await?;
            page.errors.add("day", crate::error::sentence(e));
            render_invalid(&page)
        }
        Err(ReminderError::Fault(f)) => Err(f.into()),
    }
}
