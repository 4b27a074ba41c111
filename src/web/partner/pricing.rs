//! The partner's price list: each product on sale with its list price, the partner's discount
//! and its cost.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::web::urls;
use crate::web::{ctx::Ctx, price_list::LineRow, render};
use crate::{auth::PartnerUser, error::AppResult, services::pricing as svc, state::AppState};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::PRICE_LIST, web::get().to(page));
}

#[derive(Template)]
#[template(path = "pricing/price_list.html")]
struct PriceListPage {
    ctx: Ctx,
    /// "12.5%", or empty for none.
    overall_text: String,
    any_own: bool,
    lines: Vec<LineRow>,
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
) -> AppResult<HttpResponse> {
    let list = svc::price_list(&state.core, user.org_id(), false).await?;
    let lines: Vec<LineRow> = list
        .lines
        .into_iter()
        .map(|l| LineRow::of(l, None))
        .collect();
    render(&PriceListPage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        overall_text: if list.overall.bp() == 0 {
            String::new()
        } else {
            list.overall.to_string()
        },
        any_own: lines.iter().any(|l| l.own),
        lines,
    })
}
