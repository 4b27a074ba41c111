//! Staff's tax rates (`/staff/tax-rates`): the rate charged to customers of each country on new
//! invoices (a country without one: 0 %). Issued invoices keep the rate they had.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, redirect_with, render, render_invalid, FieldErrors};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    domain::{countries, invoice::parse_tax_rate, CommissionRate, CountryCode},
    error::AppResult,
    services::invoices as svc,
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF_TAX_RATES, web::get().to(page))
        .route(urls::STAFF_TAX_RATES, web::post().to(save));
}

struct Rate {
    code: String,
    country: &'static str,
    rate: String,
}

#[derive(Template)]
#[template(path = "staff/tax_rates.html")]
struct Page {
    ctx: Ctx,
    rates: Vec<Rate>,
    countries: &'static [(&'static str, &'static str)],
    country: String,
    rate: String,
    errors: FieldErrors,
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    staff: &StaffUser,
    country: String,
    rate: String,
) -> AppResult<Page> {
    let rates = svc::tax_rates(&state.core)
        .await?
        .into_iter()
        .map(|(code, bp)| Rate {
            country: countries::name(&code).unwrap_or(""),
            rate: CommissionRate::from_bp(bp).to_string(),
            code,
        })
        .collect();
    Ok(Page {
        ctx: Ctx::new(req, Some(&staff.principal())),
        rates,
        countries: countries::by_name(),
        country,
        rate,
        errors: FieldErrors::default(),
    })
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
) -> AppResult<HttpResponse> {
    render(&build(&req, &state, &staff, String::new(), String::new()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RateParams {
    country: String,
    rate: String,
    /// `remove` takes the country's rate away.
    action: String,
}

async fn save(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    form: CsrfForm<RateParams>,
) -> AppResult<HttpResponse> {
    let p = form.0;
    let mut errors = FieldErrors::default();
    let country = errors.check("country", CountryCode::parse(&p.country));
    let rate = if p.action == "remove" {
        Some(None)
    } else {
        errors.check("rate", parse_tax_rate(&p.rate)).map(Some)
    };
    let (Some(country), Some(rate)) = (country, rate) else {
        let mut page = build(&req, &state, &staff, p.country, p.rate).await?;
        page.errors = errors;
        return render_invalid(&page);
    };
    svc::set_tax_rate(&state.core, &staff.actor(), &country, rate).await?;
    Ok(redirect_with(
        &session,
        urls::STAFF_TAX_RATES,
        "success",
        "Saved. New invoices use it; issued invoices keep their tax.",
    ))
}
