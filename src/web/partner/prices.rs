//! One customer's prices, for its partner: per product the list price, the partner's cost, the
//! customer's price and the margin; one discount for all products and a product's own.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, parse_id, redirect_with, render, render_invalid, FieldErrors};
use crate::{
    auth::{csrf::CsrfForm, PartnerUser},
    domain::{CommissionRate, Money, ProductId, RegistrationId, Status},
    error::{AppError, AppResult},
    services::customer_prices::{self as svc, CustomerPriceError},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::CUSTOMER_PRICES, web::get().to(page))
        .route(urls::CUSTOMER_PRICES, web::post().to(set_overall))
        .route(urls::CUSTOMER_PRODUCT_PRICE, web::post().to(set_product));
}

struct Line {
    sku: String,
    name: String,
    unit: String,
    /// Cost, customer's discount.
    partner_discount: String,
    customer_discount: String,
    value: String,
    own: bool,
    /// (list, cost, customer's price, margin) per currency.
    prices: Vec<(Money, Money, Money, Money)>,
    action: String,
}

#[derive(Template)]
#[template(path = "pricing/customer_prices.html")]
struct Page {
    ctx: Ctx,
    company: String,
    back: String,
    active: bool,
    overall_action: String,
    overall_value: String,
    lines: Vec<Line>,
    errors: FieldErrors,
}

fn percent(r: CommissionRate) -> String {
    r.to_string().trim_end_matches('%').to_string()
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    id: RegistrationId,
) -> AppResult<Page> {
    let p = svc::customer_prices(&state.core, user.org_id(), id).await?;
    let lines = p
        .lines
        .into_iter()
        .map(|l| Line {
            action: urls::customer_product_price(id, l.product.id),
            sku: l.product.sku,
            name: l.product.name,
            unit: l.product.unit,
            partner_discount: l.partner_discount.to_string(),
            customer_discount: l.customer_discount.to_string(),
            value: if l.own {
                percent(l.customer_discount)
            } else {
                String::new()
            },
            own: l.own,
            prices: l.prices,
        })
        .collect();
    Ok(Page {
        ctx: Ctx::new(req, Some(&user.principal())),
        company: p.company,
        back: urls::customer(id),
        active: p.status == Status::Active,
        overall_action: urls::customer_prices(id),
        overall_value: percent(p.overall),
        lines,
        errors: FieldErrors::default(),
    })
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    render(&build(&req, &state, &user, parse_id(&id)?).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DiscountParams {
    discount: String,
    action: String,
}

/// The page again with `message` next to `field` and the value typed kept.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    id: RegistrationId,
    product: Option<ProductId>,
    typed: &str,
    message: String,
) -> AppResult<HttpResponse> {
    let mut page = build(req, state, user, id).await?;
    let field = match product {
        None => {
            page.overall_value = typed.to_string();
            "discount".to_string()
        }
        Some(p) => {
            let action = urls::customer_product_price(id, p);
            let line = page
                .lines
                .iter_mut()
                .find(|l| l.action == action)
                .ok_or(AppError::NotFound)?;
            line.value = typed.to_string();
            line.sku.clone()
        }
    };
    page.errors.add(&field, message);
    render_invalid(&page)
}

async fn save(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: RegistrationId,
    product: Option<ProductId>,
    form: DiscountParams,
) -> AppResult<HttpResponse> {
    let rate = if product.is_some() && form.action == "clear" {
        None
    } else {
        let raw = if product.is_none() && form.discount.trim().is_empty() {
            "0"
        } else {
            form.discount.as_str()
        };
        match CommissionRate::parse(raw) {
            Ok(rate) => Some(rate),
            Err(e) => return refused(&req, &state, &user, id, product, &form.discount, e.0).await,
        }
    };
    match svc::set_customer_discount(&state.core, &user.actor(), user.org_id(), id, product, rate)
        .await
    {
        Ok(()) => Ok(redirect_with(
            &session,
            &urls::customer_prices(id),
            "success",
            "The customer's prices are saved. Orders placed before keep their prices.",
        )),
        Err(e @ (CustomerPriceError::BelowCost { .. } | CustomerPriceError::NotActive)) => {
            refused(
                &req,
                &state,
                &user,
                id,
                product,
                &form.discount,
                e.to_string(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_overall(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<DiscountParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    save(req, session, state, user, id, None, form.0).await
}

async fn set_product(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    path: web::Path<(String, String)>,
    form: CsrfForm<DiscountParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path.0)?;
    let product = parse_id(&path.1)?;
    save(req, session, state, user, id, Some(product), form.0).await
}
