//! The reference handlers for `bench/`: the same 50 My Customers rows through the same stack
//! (actix-web, askama, sea-orm) with no session, no authentication and no layout. Mounted only
//! when `BENCH_ROUTES=1`, never in normal use.
//!
//! `/_bench/customers` renders each row as My Customers does (the same nine cells, through the
//! same row mapping and row template), so comparing the two isolates what the page adds:
//! session, sign-in check, layout, filters and headers. `/_bench/customers-min` renders only
//! three cells per row, as the first version of this reference did.
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{
    partner::customers::{row, Row},
    render,
};
use crate::web::urls;
use crate::{
    domain::PartnerId,
    error::AppResult,
    services::registrations::{self as regs, CustomerQuery, CustomerRow, CustomerSort},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/_bench/customers", web::get().to(same_rows))
        .route("/_bench/customers-min", web::get().to(three_cells));
}

#[derive(Deserialize)]
struct Params {
    partner: PartnerId,
}

#[derive(Template)]
#[template(
    source = "<table><tbody>{% include \"customers/rows.html\" %}</tbody></table>",
    ext = "html"
)]
struct SameRows {
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(
    source = "<table>{% for r in rows %}<tr><td>{{ r.0 }}</td><td>{{ r.1 }}</td><td>{{ r.2 }}</td></tr>{% endfor %}</table>",
    ext = "html"
)]
struct ThreeCells {
    rows: Vec<(String, String, String)>,
}

/// The first page of My Customers' default view (newest first, 50 rows).
async fn first_page(state: &AppState, partner: PartnerId) -> AppResult<Vec<CustomerRow>> {
    let mut rows = regs::list(
        &state.core,
        partner,
        &CustomerQuery {
            expiring_by: None,
            q: String::new(),
            status: None,
            customer_type: None,
            sort: CustomerSort::Created,
            desc: true,
            offset: 0,
            limit: 50,
            after: None,
        },
    )
    .await?;
    rows.truncate(50);
    Ok(rows)
}

async fn same_rows(state: web::Data<AppState>, p: web::Query<Params>) -> AppResult<HttpResponse> {
    let rows = first_page(&state, p.partner).await?;
    render(&SameRows {
        rows: rows
            .into_iter()
            .map(|r| row(r, crate::domain::Currency::Usd))
            .collect(),
    })
}

async fn three_cells(state: web::Data<AppState>, p: web::Query<Params>) -> AppResult<HttpResponse> {
    let rows = first_page(&state, p.partner).await?;
    render(&ThreeCells {
        rows: rows
            .into_iter()
            .map(|r| {
                (
                    r.company_name,
                    r.friendly_name,
                    r.status.as_str().to_string(),
                )
            })
            .collect(),
    })
}
