//! Every partner's commission statements, for staff (`/staff/revenue`): by month and status,
//! approved and marked paid out in bulk (with the payout's reference), exported as CSV; each
//! statement with its lines.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    csv_download,
    ctx::Ctx,
    parse_id,
    partner::revenue::{line_rows, lines_csv, month_name, Format, StatementPage},
    query_string, redirect_with, render,
};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    error::AppResult,
    services::{
        commission::{last_periods, period_of},
        export::{self, Batch, Cell},
        revenue::{self as svc, LineSelection, RevenueError, StaffQuery, StatementView},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::STAFF_REVENUE, web::get().to(list))
        .route(urls::STAFF_REVENUE_EXPORT, web::get().to(export))
        .route(urls::STAFF_REVENUE_ADVANCE, web::post().to(advance))
        .route(urls::STAFF_REVENUE_STATEMENT, web::get().to(statement));
}

/// The most statements one page lists.
const LIMIT: u64 = 500;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Params {
    /// "2026-11"; empty: every month.
    period: String,
    status: String,
    partner: String,
}

impl Params {
    fn query(&self) -> StaffQuery {
        StaffQuery {
            period: (self.period.len() == 7).then(|| self.period.clone()),
            status: crate::domain::commission::StatementStatus::parse(&self.status),
            partner: self.partner.parse().ok(),
        }
    }
}

#[derive(Template)]
#[template(path = "revenue/staff.html")]
struct Page {
    ctx: Ctx,
    params: Params,
    periods: Vec<(String, String)>,
    rows: Vec<StatementView>,
    export: String,
    limit: u64,
}

impl Page {
    fn month(&self, s: &StatementView) -> String {
        month_name(&s.period)
    }

    fn statement_href(&self, s: &StatementView) -> String {
        urls::staff_revenue_statement(s.id)
    }

    fn partner_href(&self, s: &StatementView) -> String {
        urls::staff_partner(crate::domain::PartnerId(s.partner_id))
    }
}

async fn list(
    req: HttpRequest,
    user: StaffUser,
    state: web::Data<AppState>,
    params: web::Query<Params>,
) -> AppResult<HttpResponse> {
    let params = params.into_inner();
    let rows = svc::all_statements(&state.core, &params.query(), LIMIT).await?;
    let mut periods: Vec<(String, String)> = last_periods(&period_of(state.core.now()), 24)
        .into_iter()
        .map(|p| (month_name(&p), p))
        .collect();
    periods.reverse();
    render(&Page {
        ctx: Ctx::new(&req, Some(&user.principal())),
        export: format!(
            "{}{}",
            urls::STAFF_REVENUE_EXPORT,
            query_string(&[
                ("period", &params.period),
                ("status", &params.status),
                ("partner", &params.partner),
            ])
        ),
        params,
        periods,
        rows,
        limit: LIMIT,
    })
}

/// The filtered statements as CSV. They are sorted by partner name after reading (names live
/// with the partners), so they are read in full and then written through the export stream.
async fn export(
    _user: StaffUser,
    state: web::Data<AppState>,
    params: web::Query<Params>,
) -> AppResult<HttpResponse> {
    let rows = svc::all_statements(&state.core, &params.query(), 100_000).await?;
    let mut rows = Some(rows);
    let csv = export::csv(
        &[
            "month",
            "partner",
            "currency",
            "opening",
            "earned",
            "reversed",
            "charged",
            "closing",
            "status",
            "payout_reference",
        ],
        move |_: Option<()>| {
            std::future::ready(Ok::<_, RevenueError>(Batch::all(
                rows.take().unwrap_or_default(),
            )))
        },
        |s: StatementView| {
            let m = |v: i64| Cell::Value(s.money(v).amount_text());
            [
                Cell::Value(s.period.clone()),
                Cell::Text(s.partner.clone()),
                Cell::Value(s.currency.clone()),
                m(s.opening),
                m(s.earned),
                m(s.reversed),
                m(s.charged),
                m(s.closing),
                Cell::Value(s.status.clone()),
                Cell::Text(s.payout_reference.clone().unwrap_or_default()),
            ]
        },
    );
    Ok(csv_download("commission-statements.csv", csv))
}

/// Approves the chosen closed statements, or records the payout of approved ones.
async fn advance(
    session: Session,
    user: StaffUser,
    state: web::Data<AppState>,
    form: CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let fields = form.0;
    let value = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let back = value("back");
    let back = if back.starts_with(urls::STAFF_REVENUE) {
        back
    } else {
        urls::STAFF_REVENUE.to_string()
    };
    let ids: Vec<uuid::Uuid> = fields
        .iter()
        .filter(|(n, _)| n == "statement")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let reference = value("reference");
    let paying = value("action") == "paid";
    let r = svc::advance(
        &state.core,
        &user.actor(),
        &ids,
        paying.then_some(reference.as_str()),
    )
    .await;
    match r {
        Ok(n) => Ok(redirect_with(
            &session,
            &back,
            "success",
            &format!(
                "{n} statement{} {}.",
                if n == 1 { "" } else { "s" },
                if paying {
                    "marked paid out"
                } else {
                    "approved"
                }
            ),
        )),
        Err(
            e @ (RevenueError::NoneChosen | RevenueError::WrongStatus(_) | RevenueError::Reference),
        ) => Ok(redirect_with(&session, &back, "error", &e.to_string())),
        Err(e) => Err(e.into()),
    }
}

async fn statement(
    req: HttpRequest,
    user: StaffUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    f: web::Query<Format>,
) -> AppResult<HttpResponse> {
    let s = svc::statement(&state.core, parse_id(&id)?).await?;
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
        month: format!("{} · {}", month_name(&s.period), s.partner),
        export: format!("{}?format=csv", urls::staff_revenue_statement(s.id)),
        lines: line_rows(&lines),
        back: (urls::STAFF_REVENUE.into(), "Every statement"),
        s,
    })
}
