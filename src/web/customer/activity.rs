//! The customer's overview (`/my`: its partner, licenses and trials with seats and end dates,
//! open invoices with their payment links, credit balance), its own invoices (`/my/invoices`: each open one with its payment link) and the
//! account's activity (`/my/activity`: what its partner did on its behalf, Login As sessions
//! included, with both names), for every user of the account.
use crate::domain::invoice::InvoiceStatus;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::web::urls;
use crate::web::{ctx::Ctx, fmt_date, fmt_datetime, fmt_day, render};
use crate::{
    auth::CustomerUser,
    domain::{invoice::list_label, Money},
    error::AppResult,
    services::{audit_log, invoices, registrations as regs, views::AuditEntry},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::MY_OVERVIEW, web::get().to(overview))
        .route(urls::MY_INVOICES, web::get().to(invoice_list))
        .route(urls::MY_ACTIVITY, web::get().to(activity));
}

struct InvoiceRow {
    href: String,
    number: String,
    issued: String,
    due: String,
    total: Money,
    status: &'static str,
    tone: &'static str,
    link: String,
}

#[derive(Template)]
#[template(path = "my/invoices.html")]
struct InvoicesPage {
    ctx: Ctx,
    rows: Vec<InvoiceRow>,
}

async fn invoice_list(
    req: HttpRequest,
    customer: CustomerUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let rows = invoices::of_account(&state.core, customer.account_id)
        .await?
        .into_iter()
        .map(|(i, link)| {
            let (status, tone) = list_label(i.kind, i.status);
            InvoiceRow {
                href: urls::invoice(i.id),
                number: i.number,
                issued: fmt_date(&i.issued_at),
                due: fmt_day(i.due_on),
                total: i.total,
                status,
                tone,
                link: link.map(|l| state.core.links.url(&l)).unwrap_or_default(),
            }
        })
        .collect();
    render(&InvoicesPage {
        ctx: Ctx::new(&req, Some(&customer.principal())),
        rows,
    })
}

#[derive(Template)]
#[template(path = "my/activity.html")]
struct ActivityPage {
    ctx: Ctx,
    partner: String,
    entries: Vec<(String, String, String, String)>,
}

async fn activity(
    req: HttpRequest,
    customer: CustomerUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let live = regs::live_for_account(&state.core, customer.account_id).await?;
    let partner = live.as_ref().map(|(r, _)| r.partner_id.uuid());
    let entries = audit_log::for_customer(&state.core, customer.account_id.uuid(), partner, 200)
        .await?
        .into_iter()
        .map(|e: AuditEntry| {
            (
                fmt_datetime(&e.at),
                e.action_label(),
                e.actor.clone(),
                e.detail.clone(),
            )
        })
        .collect();
    render(&ActivityPage {
        ctx: Ctx::new(&req, Some(&customer.principal())),
        partner: live.map(|(_, p)| p.company_name).unwrap_or_default(),
        entries,
    })
}

struct LicenseLine {
    product: String,
    trial: bool,
    seats: String,
    ends: String,
}

#[derive(Template)]
#[template(path = "my/overview.html")]
struct OverviewPage {
    ctx: Ctx,
    partner: String,
    licenses: Vec<LicenseLine>,
    open: Vec<InvoiceRow>,
    credit: Vec<Money>,
}

async fn overview(
    req: HttpRequest,
    customer: CustomerUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let partner = regs::live_for_account(&state.core, customer.account_id)
        .await?
        .map(|(_, p)| p.company_name)
        .unwrap_or_default();
    let licenses = crate::services::orders::account_licenses(&state.core, customer.account_id)
        .await?
        .into_iter()
        .map(|a| LicenseLine {
            product: format!("{} ({})", a.license.product_name, a.license.sku),
            trial: a.license.trial,
            seats: format!("{} / {}", a.license.seats_assigned, a.license.seats),
            ends: fmt_day(a.license.ends_on),
        })
        .collect();
    let open = invoices::of_account(&state.core, customer.account_id)
        .await?
        .into_iter()
        .filter(|(i, _)| i.status == InvoiceStatus::Open)
        .map(|(i, link)| InvoiceRow {
            href: urls::invoice(i.id),
            number: i.number,
            issued: fmt_date(&i.issued_at),
            due: fmt_day(i.due_on),
            total: i.due,
            status: "Open",
            tone: "warning",
            link: link.map(|l| state.core.links.url(&l)).unwrap_or_default(),
        })
        .collect();
    let credit = crate::services::accounts::balances(&state.core.db.read, customer.account_id)
        .await?
        .into_iter()
        .filter(|m| m.minor != 0)
        .collect();
    render(&OverviewPage {
        ctx: Ctx::new(&req, Some(&customer.principal())),
        partner,
        licenses,
        open,
        credit,
    })
}
