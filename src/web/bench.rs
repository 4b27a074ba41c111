//! The reference handler for `bench/`: the same 50 My Customers rows through the same stack
//! (actix-web, askama, sea-orm) with no session, no authentication and no layout. Mounted only
//! when `BENCH_ROUTES=1`, never in normal use.
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::render;
use crate::{
    error::{AppError, AppResult},
    services::registrations::{self as regs, CustomerQuery, CustomerSort},
    startup::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_bench/customers", web::get().to(bare_customers));
}

#[derive(Deserialize)]
struct Params {
    partner: Uuid,
}

#[derive(Template)]
#[template(
    source = "<table>{% for r in rows %}<tr><td>{{ r.0 }}</td><td>{{ r.1 }}</td><td>{{ r.2 }}</td></tr>{% endfor %}</table>",
    ext = "html"
)]
struct Bare {
    rows: Vec<(String, String, String)>,
}

async fn bare_customers(
    state: web::Data<AppState>,
    p: web::Query<Params>,
) -> AppResult<HttpResponse> {
    let rows = regs::list(
        &state.db.read,
        p.partner,
        &CustomerQuery {
            q: String::new(),
            status: None,
            customer_type: String::new(),
            sort: CustomerSort::Created,
            desc: true,
            offset: 0,
            limit: 50,
            after: None,
        },
    )
    .await
    .map_err(AppError::from)?;
    render(&Bare {
        rows: rows
            .into_iter()
            .map(|r| {
                (
                    r.company_name,
                    r.registration.friendly_name,
                    r.registration.status,
                )
            })
            .collect(),
    })
}
