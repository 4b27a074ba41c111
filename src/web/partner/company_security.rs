//! The company's security (`/company/security`): who signs in with a second factor, the
//! admins' choice to require it of every user, and the payout details (changed only after a
//! fresh code).
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{ctx::Ctx, fmt_datetime, redirect_with, render, render_invalid, FieldErrors};
use crate::{
    auth::{csrf::CsrfForm, PartnerAdmin, PartnerUser},
    domain::{payout::PayoutDetails, two_factor},
    error::AppResult,
    services::{
        members::{self, Org},
        partner_security as svc,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::COMPANY_SECURITY, web::get().to(page))
        .route(urls::COMPANY_TWO_FACTOR, web::post().to(require_setting))
        .route(urls::COMPANY_PAYOUT, web::post().to(payout));
}

pub struct MemberLine {
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub two_factor: bool,
    pub required: bool,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct PayoutParams {
    holder: String,
    iban: String,
    bic: String,
}

#[derive(Template)]
#[template(path = "home/company_security.html")]
struct Page {
    ctx: Ctx,
    is_admin: bool,
    require_all: bool,
    members: Vec<MemberLine>,
    payout: Option<svc::Payout>,
    payout_updated: String,
    /// The admin entered a code within the last minutes: the payout form is open.
    fresh: bool,
    form: PayoutParams,
    errors: FieldErrors,
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    form: Option<PayoutParams>,
    errors: FieldErrors,
) -> AppResult<Page> {
    let require_all = user.partner.require_two_factor;
    let members = members::users(&state.core.db.read, Org::Partner(user.org_id()))
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| MemberLine {
            required: two_factor::required(u.kind, u.role, require_all),
            two_factor: u.two_factor,
            role: if u.is_admin() { "Admin" } else { "Member" },
            name: u.name,
            email: u.email,
        })
        .collect();
    let payout = svc::payout(&state.core, user.org_id()).await?;
    let fresh = user.is_admin()
        && crate::web::public::security::step_up(req, &user.user) == two_factor::StepUp::Fresh;
    Ok(Page {
        ctx: Ctx::new(req, Some(&user.principal())),
        is_admin: user.is_admin(),
        require_all,
        members,
        payout_updated: payout
            .as_ref()
            .and_then(|p| p.updated_at)
            .map(|t| fmt_datetime(&t))
            .unwrap_or_default(),
        form: form.unwrap_or_else(|| PayoutParams {
            holder: payout
                .as_ref()
                .map(|p| p.holder.clone())
                .unwrap_or_default(),
            iban: String::new(),
            bic: payout
                .as_ref()
                .and_then(|p| p.bic.clone())
                .unwrap_or_default(),
        }),
        payout,
        fresh,
        errors,
    })
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
) -> AppResult<HttpResponse> {
    render(&build(&req, &state, &user, None, FieldErrors::default()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RequireParams {
    /// "on": every user must use a second factor.
    all: String,
}

async fn require_setting(
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    form: CsrfForm<RequireParams>,
) -> AppResult<HttpResponse> {
    let on = form.0.all == "on";
    svc::set_require_two_factor(&state.core, &admin.0.actor(), admin.0.org_id(), on).await?;
    Ok(redirect_with(
        &session,
        urls::COMPANY_SECURITY,
        "success",
        if on {
            "Every user of your company must now sign in with a second factor; those without \
             one set it up at their next request."
        } else {
            "Admins must sign in with a second factor; members may choose."
        },
    ))
}

async fn payout(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    form: CsrfForm<PayoutParams>,
) -> AppResult<HttpResponse> {
    let user = admin.0;
    crate::web::public::security::require_fresh_code(&req, &user.user, urls::COMPANY_SECURITY)?;
    let p = form.0;
    match PayoutDetails::parse(&p.holder, &p.iban, &p.bic) {
        Ok(details) => {
            svc::set_payout(&state.core, &user.actor(), user.org_id(), &details).await?;
            Ok(redirect_with(
                &session,
                urls::COMPANY_SECURITY,
                "success",
                "Payout details saved. Your company's admins have been emailed about the change.",
            ))
        }
        Err(problems) => {
            let mut errors = FieldErrors::default();
            for (field, message) in problems {
                errors.add(field, message);
            }
            render_invalid(&build(&req, &state, &user, Some(p), errors).await?)
        }
    }
}
