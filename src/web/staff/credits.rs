//! Every customer's credit ledger, for staff (`/staff/credits`): each entry with the account,
//! who made it and why, newest first, filtered by kind, currency or account, 50 a page.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, query_string, render};
use crate::{
    auth::StaffUser,
    domain::{
        credit::{CreditKind, CREDIT_KINDS},
        money::CURRENCIES,
        AccountId, Currency,
    },
    error::AppResult,
    services::credits::{self as svc, StaffLine, StaffQuery, STAFF_PAGE},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF_CREDITS, web::get().to(list));
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Params {
    kind: String,
    currency: String,
    account: String,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "credits/staff.html")]
struct Page {
    ctx: Ctx,
    params: Params,
    kinds: Vec<(&'static str, &'static str)>,
    currencies: Vec<&'static str>,
    /// The account filtered on, by name.
    account_name: String,
    rows: Vec<StaffLine>,
    total: u64,
    page: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

impl Page {
    fn account_href(&self, id: &uuid::Uuid) -> String {
        urls::staff_account(AccountId(*id))
    }

    fn invoice_href(&self, id: &uuid::Uuid) -> String {
        urls::invoice(id)
    }

    fn filtered(&self) -> bool {
        !(self.params.kind.is_empty()
            && self.params.currency.is_empty()
            && self.params.account.is_empty())
    }
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    params: web::Query<Params>,
) -> AppResult<HttpResponse> {
    let params = params.into_inner();
    let page = params.page.unwrap_or(1).clamp(1, 100_000);
    let account = uuid::Uuid::parse_str(params.account.trim()).ok();
    let q = StaffQuery {
        kind: CreditKind::parse(&params.kind).ok(),
        currency: Currency::parse(&params.currency).ok(),
        account,
        page,
    };
    let (rows, total) = svc::all_entries(&state.core, &q).await?;
    let account_name = match account {
        Some(_) if !rows.is_empty() => rows[0].customer.clone(),
        _ => String::new(),
    };
    let filters = query_string(&[
        ("kind", &params.kind),
        ("currency", &params.currency),
        ("account", &params.account),
    ]);
    let href = |p: u64| format!("{}?{filters}page={p}", urls::STAFF_CREDITS);
    render(&Page {
        ctx: Ctx::new(&req, Some(&staff.principal())),
        kinds: CREDIT_KINDS
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        currencies: CURRENCIES.iter().map(|c| c.code()).collect(),
        account_name,
        prev_href: (page > 1).then(|| href(page - 1)),
        next_href: (page * STAFF_PAGE < total).then(|| href(page + 1)),
        rows,
        total,
        page,
        params,
    })
}
