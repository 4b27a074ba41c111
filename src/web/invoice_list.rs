//! The invoice lists: the partner's `/invoices` and staff's `/staff/invoices`, filtered by
//! status, customer and month, with the open and paid sums of what is filtered, pages of 50,
//! and the filtered list as CSV.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{csv_download, ctx::Ctx, fmt_date, fmt_day, query_string, render};
use crate::{
    auth::{PartnerUser, Principal, StaffUser},
    domain::{
        invoice::{list_label, InvoiceStatus},
        Money, PartnerId,
    },
    error::AppResult,
    services::{
        export::{self, Cell},
        invoices::{self as svc, InvoiceQuery, InvoiceSelection, ListedInvoice},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::INVOICES, web::get().to(partner_list))
        .route(urls::INVOICES_EXPORT, web::get().to(partner_export))
        .route(urls::STAFF_INVOICES, web::get().to(staff_list))
        .route(urls::STAFF_INVOICES_EXPORT, web::get().to(staff_export));
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Params {
    status: String,
    customer: String,
    /// YYYY-MM
    month: String,
    page: Option<u64>,
}

const PER_PAGE: u64 = 50;

impl Params {
    fn query(&self) -> InvoiceQuery {
        InvoiceQuery {
            status: InvoiceStatus::parse(&self.status),
            customer: self.customer.chars().take(200).collect(),
            month: chrono::NaiveDate::parse_from_str(
                &format!("{}-01", self.month.trim()),
                "%Y-%m-%d",
            )
            .ok()
            .map(|d| (chrono::Datelike::year(&d), chrono::Datelike::month(&d))),
        }
    }

    fn filters(&self) -> String {
        query_string(&[
            ("status", &self.status),
            ("customer", &self.customer),
            ("month", &self.month),
        ])
    }
}

struct Row {
    href: String,
    number: String,
    customer: String,
    partner: String,
    issued: String,
    due: String,
    total: Money,
    /// What is left to pay, while open.
    left: Option<Money>,
    status: &'static str,
    tone: &'static str,
}

#[derive(Template)]
#[template(path = "invoices/list.html")]
struct Page {
    ctx: Ctx,
    staff: bool,
    action: &'static str,
    export: String,
    status: String,
    customer: String,
    month: String,
    rows: Vec<Row>,
    /// "Open: $1,200.00 · €50.00" and so on, per status with invoices.
    sums: Vec<(&'static str, String)>,
    filtered: bool,
    page: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

async fn list(
    req: &HttpRequest,
    state: &AppState,
    who: Principal,
    partner: Option<PartnerId>,
    p: Params,
) -> AppResult<HttpResponse> {
    let page = p.page.unwrap_or(1).clamp(1, 100_000);
    let l = svc::list(
        &state.core,
        partner,
        &p.query(),
        (page - 1) * PER_PAGE,
        PER_PAGE,
    )
    .await?;
    let staff = partner.is_none();
    let mut sums: Vec<(&'static str, String)> = Vec::new();
    for (status, money) in l.sums {
        match sums.iter_mut().find(|(s, _)| *s == status.label()) {
            Some((_, text)) => text.push_str(&format!(" · {money}")),
            None => sums.push((status.label(), money.to_string())),
        }
    }
    let base = if staff {
        urls::STAFF_INVOICES
    } else {
        urls::INVOICES
    };
    let href = |n: u64| format!("{base}?{}page={n}", p.filters());
    render(&Page {
        ctx: Ctx::new(req, Some(&who)),
        staff,
        action: base,
        export: format!(
            "{}?{}",
            if staff {
                urls::STAFF_INVOICES_EXPORT
            } else {
                urls::INVOICES_EXPORT
            },
            p.filters()
        ),
        filtered: !p.status.is_empty() || !p.customer.is_empty() || !p.month.is_empty(),
        rows: l
            .rows
            .into_iter()
            .map(|r| {
                let (status, tone) = list_label(r.invoice.kind, r.invoice.status);
                let left = r.invoice.due_row();
                Row {
                    href: urls::invoice(r.invoice.id),
                    number: r.invoice.number,
                    customer: r.invoice.customer_name,
                    partner: r.partner,
                    issued: fmt_date(&r.invoice.issued_at),
                    due: fmt_day(r.invoice.due_on),
                    total: r.invoice.total,
                    left,
                    status,
                    tone,
                }
            })
            .collect(),
        sums,
        prev_href: (page > 1).then(|| href(page - 1)),
        next_href: l.has_more.then(|| href(page + 1)),
        page,
        status: p.status,
        customer: p.customer,
        month: p.month,
    })
}

async fn partner_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    p: web::Query<Params>,
) -> AppResult<HttpResponse> {
    list(
        &req,
        &state,
        user.principal(),
        Some(user.org_id()),
        p.into_inner(),
    )
    .await
}

async fn staff_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    p: web::Query<Params>,
) -> AppResult<HttpResponse> {
    list(&req, &state, staff.principal(), None, p.into_inner()).await
}

/// The filtered invoices as CSV, newest first, streamed page by page.
async fn export(
    state: &AppState,
    partner: Option<PartnerId>,
    p: Params,
) -> AppResult<HttpResponse> {
    let selection = InvoiceSelection::new(partner, &p.query())?;
    let rows = export::csv_paged(
        state.core.clone(),
        selection,
        &[
            "Number",
            "Kind",
            "Partner",
            "Customer",
            "Issued",
            "Due date",
            "Status",
            "Currency",
            "Subtotal",
            "Tax",
            "Total",
            "Paid from credit",
            "Left to pay",
        ],
        |r: ListedInvoice| {
            let i = r.invoice;
            [
                Cell::Value(i.number),
                Cell::Value(i.kind.as_str().into()),
                Cell::Text(r.partner),
                Cell::Text(i.customer_name),
                Cell::Value(i.issued_at.format("%Y-%m-%d").to_string()),
                Cell::Value(i.due_on.to_string()),
                Cell::Value(i.status.as_str().into()),
                Cell::Value(i.total.currency.code().into()),
                Cell::Value(i.subtotal.amount_text()),
                Cell::Value(i.tax.amount_text()),
                Cell::Value(i.total.amount_text()),
                Cell::Value(i.from_credit.amount_text()),
                Cell::Value(i.due.amount_text()),
            ]
        },
    );
    Ok(csv_download("invoices.csv", rows))
}

async fn partner_export(
    state: web::Data<AppState>,
    user: PartnerUser,
    p: web::Query<Params>,
) -> AppResult<HttpResponse> {
    export(&state, Some(user.org_id()), p.into_inner()).await
}

async fn staff_export(
    state: web::Data<AppState>,
    _staff: StaffUser,
    p: web::Query<Params>,
) -> AppResult<HttpResponse> {
    export(&state, None, p.into_inner()).await
}
