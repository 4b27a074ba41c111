//! The account's orders (`/my/orders`) and credits (`/my/credits`), read-only for its users:
//! what its partner ordered on its behalf, at the customer's prices (never the partner's cost
//! or margin), and the credit ledger with the balance per currency.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::web::urls;
use crate::web::{ctx::Ctx, fmt_date, fmt_day, partner::credits::ledger_tone, render};
use crate::{
    auth::CustomerUser,
    domain::Money,
    error::AppResult,
    services::{
        credits::{self, Credits, LedgerLine},
        orders, registrations as regs,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::MY_ORDERS, web::get().to(order_list))
        .route(urls::MY_CREDITS, web::get().to(credit_page));
}

struct OrderRow {
    number: String,
    placed: String,
    kind: &'static str,
    product: String,
    quantity: String,
    term: String,
    starts: String,
    price: Money,
    total: Money,
    cancelled: bool,
}

#[derive(Template)]
#[template(path = "my/orders.html")]
struct OrdersPage {
    ctx: Ctx,
    rows: Vec<OrderRow>,
    more: bool,
    limit: u64,
}

async fn order_list(
    req: HttpRequest,
    customer: CustomerUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let (list, more) = orders::account_orders(&state.core, customer.account_id).await?;
    let rows = list
        .into_iter()
        .map(|o| OrderRow {
            quantity: match o.previous_quantity {
                Some(p) => format!("{p} → {}", o.quantity),
                None => o.quantity.to_string(),
            },
            number: o.number,
            placed: fmt_date(&o.created_at),
            kind: o.kind.label(),
            product: format!("{} ({})", o.product_name, o.sku),
            term: o.term.label().to_string(),
            starts: fmt_day(o.starts_on),
            price: o.price,
            total: o.total,
            cancelled: o.cancelled,
        })
        .collect();
    render(&OrdersPage {
        ctx: Ctx::new(&req, Some(&customer.principal())),
        rows,
        more,
        limit: orders::ACCOUNT_ORDERS,
    })
}

#[derive(Template)]
#[template(path = "my/credits.html")]
struct CreditsPage {
    ctx: Ctx,
    credits: Credits,
}

impl CreditsPage {
    fn tone(&self, l: &LedgerLine) -> &'static str {
        ledger_tone(l)
    }

    fn invoice_href(&self, id: &uuid::Uuid) -> String {
        urls::invoice(id)
    }
}

async fn credit_page(
    req: HttpRequest,
    customer: CustomerUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let partner = regs::live_for_account(&state.core, customer.account_id)
        .await?
        .map(|(r, _)| r.partner_id);
    let credits = credits::for_customer(&state.core, customer.account_id, partner).await?;
    render(&CreditsPage {
        ctx: Ctx::new(&req, Some(&customer.principal())),
        credits,
    })
}
