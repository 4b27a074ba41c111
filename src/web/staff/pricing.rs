//! A partner's price list, for staff: the overall discount off list price and each product's
//! own discount, with the list prices and the partner's cost that follow.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ctx::Ctx, parse_id, price_list::LineRow, redirect_with, render, render_invalid, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    domain::{CommissionRate, PartnerId, ProductId},
    error::AppResult,
    services::{pricing as svc, staff as staff_svc},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF_PARTNER_PRICES, web::get().to(page))
        .route(urls::STAFF_PARTNER_PRICES, web::post().to(set_overall))
        .route(
            urls::STAFF_PARTNER_PRODUCT_PRICE,
            web::post().to(set_product),
        );
}

#[derive(Template)]
#[template(path = "pricing/staff_price_list.html")]
struct StaffPriceList {
    ctx: Ctx,
    partner: String,
    back: String,
    overall_action: String,
    overall_value: String,
    lines: Vec<LineRow>,
    errors: FieldErrors,
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    staff: &StaffUser,
    id: PartnerId,
) -> AppResult<StaffPriceList> {
    let partner = staff_svc::partner_detail(&state.core, id).await?.partner;
    let list = svc::price_list(&state.core, id, true).await?;
    Ok(StaffPriceList {
        ctx: Ctx::new(req, Some(&staff.principal())),
        partner: partner.company_name,
        back: urls::staff_partner(id),
        overall_action: urls::staff_partner_prices(id),
        overall_value: list.overall.to_string().trim_end_matches('%').to_string(),
        lines: list
            .lines
            .into_iter()
            .map(|l| LineRow::of(l, Some(id)))
            .collect(),
        errors: FieldErrors::default(),
    })
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    render(&build(&req, &state, &staff, parse_id(&id)?).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DiscountParams {
    discount: String,
    action: String,
}

async fn set_overall(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<DiscountParams>,
) -> AppResult<HttpResponse> {
    let id: PartnerId = parse_id(&id)?;
    let raw = if form.0.discount.trim().is_empty() {
        "0"
    } else {
        form.0.discount.as_str()
    };
    match CommissionRate::parse(raw) {
        Ok(rate) => {
            svc::set_discount(&state.core, &staff.actor(), id, None, Some(rate)).await?;
            Ok(redirect_with(
                &session,
                &urls::staff_partner_prices(id),
                "success",
                &format!("{rate} off every product without its own discount."),
            ))
        }
        Err(e) => {
            let mut page = build(&req, &state, &staff, id).await?;
            page.overall_value = form.0.discount;
            page.errors.add("discount", e.0);
            render_invalid(&page)
        }
    }
}

async fn set_product(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<DiscountParams>,
) -> AppResult<HttpResponse> {
    let id: PartnerId = parse_id(&path.0)?;
    let product: ProductId = parse_id(&path.1)?;
    let rate = if form.0.action == "clear" {
        None
    } else {
        match CommissionRate::parse(&form.0.discount) {
            Ok(rate) => Some(rate),
            Err(e) => {
                let mut page = build(&req, &state, &staff, id).await?;
                let line = page
                    .lines
                    .iter_mut()
                    .find(|l| l.action == urls::staff_partner_product_price(id, product));
                let Some(line) = line else {
                    return Err(crate::error::AppError::NotFound);
                };
                line.discount_value = form.0.discount.clone();
                let sku = line.sku.clone();
                page.errors.add(&sku, e.0);
                return render_invalid(&page);
            }
        }
    };
    svc::set_discount(&state.core, &staff.actor(), id, Some(product), rate).await?;
    Ok(redirect_with(
        &session,
        &urls::staff_partner_prices(id),
        "success",
        match rate {
            Some(_) => "The product's own discount is saved.",
            None => "The overall discount applies to that product again.",
        },
    ))
}
