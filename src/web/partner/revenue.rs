//! The partner's revenue (`/revenue`): this month so far and the last 12 months, per month and
//! per customer (invoiced, paid, outstanding, commission), a chart of paid revenue and
//! commission drawn on the server with the same figures in a table beside it, filters by
//! customer, product and currency, the lines behind every figure as CSV, and the monthly
//! commission statements with their status, each with its lines.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{csv_download, ctx::Ctx, fmt_date, parse_id, query_string, render, revenue_chart};
use crate::{
    auth::PartnerUser,
    domain::{Currency, Money},
    error::AppResult,
    services::{
        catalog,
        commission::period_start,
        export::{self, Cell},
        revenue::{self as svc, Line, LineSelection, RevenueQuery, StatementView},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::REVENUE, web::get().to(page))
        .route(urls::REVENUE_EXPORT, web::get().to(export))
        .route(urls::REVENUE_STATEMENT, web::get().to(statement));
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Params {
    /// A registration id.
    customer: String,
    product: String,
    currency: String,
    /// "12": the per-customer table over 12 months.
    window: String,
}

impl Params {
    fn query(&self) -> RevenueQuery {
        RevenueQuery {
            customer: self.customer.trim().parse().ok(),
            product: self.product.trim().parse().ok(),
            currency: Currency::parse(self.currency.trim()).ok(),
            customers_year: self.window == "12",
            figures_in: None,
        }
    }

    fn with(&self, key: &str, value: &str) -> String {
        let mut v = vec![
            ("customer", self.customer.as_str()),
            ("product", self.product.as_str()),
            ("currency", self.currency.as_str()),
            ("window", self.window.as_str()),
        ];
        for p in v.iter_mut() {
            if p.0 == key {
                p.1 = value;
            }
        }
        query_string(&v)
    }
}

/// "December 2026".
pub fn month_name(period: &str) -> String {
    period_start(period)
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|| period.to_string())
}

struct MonthRow {
    name: String,
    invoiced: String,
    outstanding: String,
    paid: String,
    commission: String,
}

struct CustomerRow {
    company: String,
    filter_href: String,
    page_href: Option<String>,
    invoiced: Money,
    outstanding: Money,
    paid: Money,
    commission: Money,
}

#[derive(Template)]
#[template(path = "revenue/partner.html")]
struct Page {
    ctx: Ctx,
    currency: Currency,
    currencies: Vec<Currency>,
    products: Vec<(String, String)>,
    params: Params,
    customer_name: String,
    clear_customer: String,
    this_month: MonthRow,
    months: Vec<MonthRow>,
    chart: String,
    customers: Vec<CustomerRow>,
    by_product: bool,
    customers_year: bool,
    window_month_href: String,
    window_year_href: String,
    empty: bool,
    statements: Vec<StatementView>,
    export: String,
    year_paid: Money,
    year_commission: Money,
}

impl Page {
    fn statement_href(&self, s: &StatementView) -> String {
        urls::revenue_statement(s.id)
    }

    fn month(&self, s: &StatementView) -> String {
        month_name(&s.period)
    }
}

async fn page(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    params: web::Query<Params>,
) -> AppResult<HttpResponse> {
    let params = params.into_inner();
    let mut q = params.query();
    q.figures_in = Some(crate::services::paid_12m::fresh(&state.core, &user.partner).await?);
    let r = svc::for_partner(&state.core, user.org_id(), &q).await?;
    let c = r.currency;
    let m = |minor: i64| Money::new(minor, c);
    let row = |(p, f): &(String, svc::MonthFigures)| MonthRow {
        name: month_name(p),
        invoiced: if r.by_product {
            "—".into()
        } else {
            m(f.invoiced).to_string()
        },
        outstanding: if r.by_product {
            "—".into()
        } else {
            m(f.outstanding).to_string()
        },
        paid: m(f.paid).to_string(),
        commission: m(f.commission).to_string(),
    };
    let this_month = row(r.months.last().expect("12 months"));
    let chart = revenue_chart::svg(
        &r.months
            .iter()
            .map(|(p, f)| (p.clone(), f.paid, f.commission))
            .collect::<Vec<_>>(),
        c,
    );
    let year_paid = m(r.months.iter().map(|(_, f)| f.paid).sum());
    let year_commission = m(r.months.iter().map(|(_, f)| f.commission).sum());
    let empty = r
        .months
        .iter()
        .all(|(_, f)| f.paid == 0 && f.invoiced == 0 && f.commission == 0);
    let customer_name = r.customer.clone().unwrap_or_default();
    let customers = r
        .customers
        .iter()
        .map(|x| CustomerRow {
            company: x.company.clone(),
            filter_href: format!(
                "{}{}",
                urls::REVENUE,
                params.with(
                    "customer",
                    &x.registration.map(|r| r.to_string()).unwrap_or_default()
                )
            ),
            page_href: x
                .registration
                .map(|r| urls::customer(crate::domain::RegistrationId(r))),
            invoiced: m(x.figures.invoiced),
            outstanding: m(x.figures.outstanding),
            paid: m(x.figures.paid),
            commission: m(x.figures.commission),
        })
        .collect();
    let products = catalog::names(&state.core)
        .await?
        .into_iter()
        .map(|(id, name, sku)| (id.to_string(), format!("{name} ({sku})")))
        .collect();
    render(&Page {
        ctx: Ctx::new(&req, Some(&user.principal())),
        currency: c,
        currencies: r.currencies.clone(),
        products,
        customer_name,
        clear_customer: format!("{}{}", urls::REVENUE, params.with("customer", "")),
        export: format!("{}{}", urls::REVENUE_EXPORT, params.with("", "")),
        months: r.months.iter().rev().map(row).collect(),
        this_month,
        chart,
        customers,
        by_product: r.by_product,
        customers_year: params.window == "12",
        window_month_href: format!("{}{}", urls::REVENUE, params.with("window", "")),
        window_year_href: format!("{}{}", urls::REVENUE, params.with("window", "12")),
        empty,
        statements: svc::statements_of(&state.core, user.org_id(), 24).await?,
        params,
        year_paid,
        year_commission,
    })
}

/// The selected lines as CSV, oldest first, each amount in the currency's units ("12.50").
pub fn lines_csv(state: &AppState, selection: LineSelection, name: &str) -> HttpResponse {
    let rows = export::csv_paged(
        state.core.clone(),
        selection,
        &[
            "month",
            "kind",
            "invoice",
            "customer",
            "product",
            "description",
            "base",
            "rate_percent",
            "amount",
            "currency",
            "recorded_at",
        ],
        |l: Line| {
            let c = Currency::parse(&l.currency).unwrap_or(Currency::Usd);
            [
                Cell::Value(l.period),
                Cell::Value(l.kind),
                Cell::Value(l.invoice_number.unwrap_or_default()),
                Cell::Text(l.customer),
                Cell::Value(l.product_sku.unwrap_or_default()),
                Cell::Text(l.description),
                Cell::Value(Money::new(l.base, c).amount_text()),
                Cell::Value(format!("{}.{:02}", l.rate_bp / 100, l.rate_bp % 100)),
                Cell::Value(Money::new(l.amount, c).amount_text()),
                Cell::Value(l.currency),
                Cell::Value(l.created_at.to_rfc3339()),
            ]
        },
    );
    csv_download(name, rows)
}

async fn export(
    user: PartnerUser,
    state: web::Data<AppState>,
    params: web::Query<Params>,
) -> AppResult<HttpResponse> {
    let selection = LineSelection::of_revenue(&state.core, user.org_id(), &params.query()).await?;
    Ok(lines_csv(&state, selection, "commission-lines.csv"))
}

pub struct LineRow {
    pub when: String,
    pub kind: &'static str,
    pub tone: &'static str,
    pub invoice: Option<(String, String)>,
    pub customer: String,
    pub description: String,
    pub base: Money,
    pub rate: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "revenue/statement.html")]
pub struct StatementPage {
    pub ctx: Ctx,
    pub s: StatementView,
    pub month: String,
    pub lines: Vec<LineRow>,
    pub export: String,
    /// Where "back" leads: the partner's revenue page or staff's statements.
    pub back: (String, &'static str),
}

/// The statement's lines as rows of a page.
pub fn line_rows(lines: &[Line]) -> Vec<LineRow> {
    use crate::services::commission::EntryKind;
    lines
        .iter()
        .map(|l| {
            let c = l.in_currency;
            let kind = l.entry;
            LineRow {
                when: fmt_date(&l.created_at),
                kind: kind.label(),
                tone: match kind {
                    EntryKind::Earned => "success",
                    EntryKind::Reversed => "warning",
                    EntryKind::Charged => "muted",
                },
                invoice: l
                    .invoice_id
                    .zip(l.invoice_number.clone())
                    .map(|(id, n)| (urls::invoice(id), n)),
                customer: l.customer.clone(),
                description: l.description.clone(),
                base: Money::new(l.base, c),
                rate: crate::domain::CommissionRate::from_bp(l.rate_bp).to_string(),
                amount: Money::new(kind.signed(l.amount), c).to_string(),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Format {
    pub format: String,
}

async fn statement(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: web::Query<Format>,
) -> AppResult<HttpResponse> {
    let id: uuid::Uuid = parse_id(&id)?;
    let s = svc::statement_of(&state.core, user.org_id(), id).await?;
    if f.format == "csv" {
        return Ok(lines_csv(
            &state,
            LineSelection::of_statement(&s),
            &format!("commission-{}-{}.csv", s.period, s.currency),
        ));
    }
    let lines = svc::lines_of_statement(&state.core, &s).await?;
    render(&StatementPage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        month: month_name(&s.period),
        export: format!("{}?format=csv", urls::revenue_statement(s.id)),
        lines: line_rows(&lines),
        back: (urls::REVENUE.into(), "Revenue"),
        s,
    })
}
