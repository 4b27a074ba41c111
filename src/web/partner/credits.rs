//! A customer's credits, for its partner (`/customers/{id}/credits`): the balance per currency,
//! the ledger with who and why, and, while the customer is the partner's, a grant of
//! promotional credit (funded by the partner, optionally expiring) and the sale of a top-up
//! (an invoice with a payment link; paying it adds the credit).
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, parse_id, redirect_with, render, render_invalid, FieldErrors};
use crate::{
    auth::{csrf::CsrfForm, PartnerUser},
    domain::{credit::CreditKind, money::CURRENCIES, Money, RegistrationId},
    error::AppResult,
    services::credits::{self as svc, CreditError, Credits, GrantRequestView, Granted, LedgerLine},
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::CUSTOMER_CREDITS, web::get().to(page))
        .route(urls::CUSTOMER_CREDIT_GRANT, web::post().to(grant))
        .route(urls::CUSTOMER_CREDIT_TOPUP, web::post().to(topup));
}

/// The grant's and the top-up's fields, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct GrantParams {
    amount: String,
    currency: String,
    expires_on: String,
    note: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct TopupParams {
    amount: String,
    currency: String,
}

#[derive(Template)]
#[template(path = "credits/customer.html")]
struct Page {
    ctx: Ctx,
    credits: Credits,
    back: String,
    grant_action: String,
    topup_action: String,
    currencies: Vec<&'static str>,
    grant: GrantParams,
    topup: TopupParams,
    grant_errors: FieldErrors,
    topup_errors: FieldErrors,
    /// Grants held for (or decided by) the provider, newest first.
    requests: Vec<RequestRow>,
}

/// A grant request as the partner reads it.
pub struct RequestRow {
    pub amount: Money,
    pub note: String,
    pub requested_by: String,
    pub requested_at: String,
    pub status_label: &'static str,
    pub status_tone: &'static str,
    pub decision_note: String,
}

impl From<GrantRequestView> for RequestRow {
    fn from(r: GrantRequestView) -> Self {
        Self {
            amount: r.amount,
            note: r.note,
            requested_by: r.requested_by,
            requested_at: crate::web::fmt_datetime(&r.requested_at),
            status_label: r.status.label(),
            status_tone: r.status.tone(),
            decision_note: r.decision_note.unwrap_or_default(),
        }
    }
}

/// The badge colour of a ledger entry: money in, money out, expired.
pub fn ledger_tone(l: &LedgerLine) -> &'static str {
    match l.kind {
        CreditKind::Grant | CreditKind::Topup => "success",
        CreditKind::Expiry => "muted",
        _ if l.amount.is_negative() => "warning",
        _ => "info",
    }
}

impl Page {
    fn tone(&self, l: &LedgerLine) -> &'static str {
        ledger_tone(l)
    }

    fn invoice_href(&self, id: &uuid::Uuid) -> String {
        urls::invoice(id)
    }
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    id: RegistrationId,
) -> AppResult<Page> {
    let credits = svc::for_partner(&state.core, user.org_id(), id).await?;
    let requests = svc::requests_of(&state.core, user.org_id(), id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let currency = credits
        .balances
        .first()
        .map_or("USD", |m| m.currency.code())
        .to_string();
    Ok(Page {
        ctx: Ctx::new(req, Some(&user.principal())),
        credits,
        back: urls::customer(id),
        grant_action: urls::customer_credit_grant(id),
        topup_action: urls::customer_credit_topup(id),
        currencies: CURRENCIES.iter().map(|c| c.code()).collect(),
        grant: GrantParams {
            currency: currency.clone(),
            ..Default::default()
        },
        topup: TopupParams {
            currency,
            ..Default::default()
        },
        grant_errors: FieldErrors::default(),
        topup_errors: FieldErrors::default(),
        requests,
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

/// A refusal as field errors (a message without a field goes next to the amount).
fn errors_of(e: CreditError) -> AppResult<FieldErrors> {
    let mut errors = FieldErrors::default();
    match e {
        CreditError::NotFound | CreditError::Fault(_) | CreditError::Refused(_) => {
            return Err(e.into())
        }
        e => {
            let field = e.field_name().unwrap_or("amount");
            errors.add(field, crate::error::sentence(e));
        }
    }
    Ok(errors)
}

async fn grant(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<GrantParams>,
) -> AppResult<HttpResponse> {
    let id: RegistrationId = parse_id(&id)?;
    let p = form.0;
    let result = async {
        let amount = svc::parse_amount(&p.amount, &p.currency)?;
        let expires = match p.expires_on.trim() {
            "" => None,
            d => Some(
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                    CreditError::Invalid {
                        field: "expires_on",
                        message: "Enter a date as YYYY-MM-DD, or leave it empty.".into(),
                    }
                })?,
            ),
        };
        let granted = svc::grant(
            &state.core,
            &user.actor(),
            user.user.role,
            user.org_id(),
            id,
            amount,
            &p.note,
            expires,
        )
        .await?;
        Ok::<_, CreditError>((amount, granted))
    }
    .await;
    match result {
        Ok((amount, Granted::Applied)) => Ok(redirect_with(
            &session,
            &urls::customer_credits(id),
            "success",
            &format!("{amount} of promotional credit granted."),
        )),
        Ok((amount, Granted::Pending { ceiling })) => Ok(redirect_with(
            &session,
            &urls::customer_credits(id),
            "info",
            &format!(
                "Waiting for the provider's approval: {amount} would take your organisation's \
                 grants this month above the provider's ceiling of {ceiling}. Nothing is \
                 granted until the provider approves it."
            ),
        )),
        Err(e) => {
            let mut page = build(&req, &state, &user, id).await?;
            page.grant_errors = errors_of(e)?;
            page.grant = p;
            render_invalid(&page)
        }
    }
}

async fn topup(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<TopupParams>,
) -> AppResult<HttpResponse> {
    let id: RegistrationId = parse_id(&id)?;
    let p = form.0;
    let result = async {
        let amount = svc::parse_amount(&p.amount, &p.currency)?;
        let invoice = crate::services::invoices::sell_topup(
            &state.core,
            &user.actor(),
            user.org_id(),
            id,
            amount,
        )
        .await?;
        Ok::<_, CreditError>((invoice, amount))
    }
    .await;
    match result {
        Ok((invoice, amount)) => Ok(redirect_with(
            &session,
            &urls::invoice(invoice),
            "success",
            &format!(
                "A top-up invoice of {amount} is issued. Copy or send its payment link: the \
                 credit is added when it is paid."
            ),
        )),
        Err(e) => {
            let mut page = build(&req, &state, &user, id).await?;
            page.topup_errors = errors_of(e)?;
            page.topup = p;
            render_invalid(&page)
        }
    }
}
