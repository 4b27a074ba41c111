//! The partner's limits on promotional credit (`/company/credit-limits`): per currency, what a
//! member may grant per grant and per month (set here by the partner's admins; members see
//! them), and the provider's monthly ceiling on the whole organisation's grants, with this
//! month's figures.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, redirect_with, render, render_invalid};
use crate::{
    auth::{csrf::CsrfForm, PartnerAdmin, PartnerUser},
    domain::{grant_limits::DEFAULT_CEILING_MAJOR, Currency, Money},
    error::AppResult,
    services::credits::{self as svc, CreditError, CurrencyLimits},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::COMPANY_CREDIT_LIMITS, web::get().to(page))
        .route(urls::COMPANY_CREDIT_LIMITS, web::post().to(save));
}

/// One currency's member limits, as typed (empty: not set).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct LimitParams {
    currency: String,
    per_grant: String,
    per_month: String,
}

/// One currency's row: the member limits as the form shows them, the ceiling and the month.
pub struct LimitRow {
    pub currency: &'static str,
    pub per_grant: String,
    pub per_month: String,
    pub per_grant_shown: String,
    pub per_month_shown: String,
    pub per_grant_error: String,
    pub per_month_error: String,
    pub ceiling: Money,
    pub ceiling_set: bool,
    pub month_granted: Money,
    pub pending: Money,
}

impl From<&CurrencyLimits> for LimitRow {
    fn from(l: &CurrencyLimits) -> Self {
        let typed = |m: Option<Money>| m.map(Money::amount_text).unwrap_or_default();
        let shown = |m: Option<Money>| m.map_or_else(|| "Not set".to_string(), |m| m.to_string());
        Self {
            currency: l.currency.code(),
            per_grant: typed(l.member_per_grant),
            per_month: typed(l.member_per_month),
            per_grant_shown: shown(l.member_per_grant),
            per_month_shown: shown(l.member_per_month),
            per_grant_error: String::new(),
            per_month_error: String::new(),
            ceiling: l.ceiling,
            ceiling_set: l.ceiling_set,
            month_granted: l.month_granted,
            pending: l.pending,
        }
    }
}

#[derive(Template)]
#[template(path = "home/credit_limits.html")]
struct LimitsPage {
    ctx: Ctx,
    rows: Vec<LimitRow>,
    can_edit: bool,
    default_ceiling: i64,
}

async fn build(req: &HttpRequest, state: &AppState, user: &PartnerUser) -> AppResult<LimitsPage> {
    let rows = svc::limits_of(&state.core, user.org_id())
        .await?
        .iter()
        .map(LimitRow::from)
        .collect();
    Ok(LimitsPage {
        ctx: Ctx::new(req, Some(&user.principal())),
        rows,
        can_edit: user.is_admin(),
        default_ceiling: DEFAULT_CEILING_MAJOR,
    })
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
) -> AppResult<HttpResponse> {
    render(&build(&req, &state, &user).await?)
}

/// An admin sets (or clears) the members' limits in one currency.
async fn save(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    form: CsrfForm<LimitParams>,
) -> AppResult<HttpResponse> {
    let user = admin.0;
    let p = form.0;
    let currency =
        Currency::parse(&p.currency).map_err(|e| crate::error::AppError::BadRequest(e.0))?;
    let result = async {
        let per_grant = svc::parse_limit(&p.per_grant, currency, "per_grant")?;
        let per_month = svc::parse_limit(&p.per_month, currency, "per_month")?;
        svc::set_member_limits(
            &state.core,
            &user.actor(),
            user.org_id(),
            currency,
            per_grant,
            per_month,
        )
        .await?;
        Ok::<_, CreditError>((per_grant, per_month))
    }
    .await;
    match result {
        Ok((per_grant, per_month)) => Ok(redirect_with(
            &session,
            urls::COMPANY_CREDIT_LIMITS,
            "success",
            &match (per_grant, per_month) {
                (Some(g), Some(m)) => format!(
                    "Members may now grant up to {g} of {currency} credit per grant and {m} \
                     a month each."
                ),
                _ => format!(
                    "Members' {currency} limits saved: until both are set, members cannot \
                     grant {currency} credit."
                ),
            },
        )),
        Err(CreditError::Invalid { field, message }) => {
            let mut page = build(&req, &state, &user).await?;
            if let Some(row) = page.rows.iter_mut().find(|r| r.currency == currency.code()) {
                row.per_grant = p.per_grant;
                row.per_month = p.per_month;
                if field == "per_month" {
                    row.per_month_error = message;
                } else {
                    row.per_grant_error = message;
                }
            }
            render_invalid(&page)
        }
        Err(e) => Err(e.into()),
    }
}
