//! API app registration for partner admins (`/apps`): register an app with scopes, see its
//! client id and (once) its secret, rotate the secret, revoke the app, see its recent calls;
//! and the API guide with a worked `curl` session (`/docs/api`).
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_datetime, parse_id, redirect_with, render, render_invalid,
    Confirmation, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, MaybePrincipal, PartnerAdmin},
    domain::{AppId, CommissionRate, PlainName},
    error::AppResult,
    services::{
        api_apps::{self as svc, SCOPE_COMMISSION, SCOPE_ORDERS, SCOPE_READ, SCOPE_READWRITE},
        views::ApiApp,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::APPS, web::get().to(list))
        .route(urls::APPS, web::post().to(create))
        .route(urls::APP, web::get().to(show))
        .route(urls::APP_ROTATE, web::post().to(rotate))
        .route(urls::APP_REVOKE, web::post().to(revoke))
        .route(urls::API_GUIDE, web::get().to(guide));
}

pub struct AppRow {
    pub id: AppId,
    pub name: String,
    pub client_id: String,
    pub scopes: String,
    pub active: bool,
    pub created: String,
    pub last_used: String,
}

fn row(a: &ApiApp) -> AppRow {
    AppRow {
        id: a.id,
        name: a.name.clone(),
        client_id: a.client_id.clone(),
        scopes: a.scopes.join(" "),
        active: a.active,
        created: fmt_datetime(&a.created_at),
        last_used: a
            .last_used_at
            .as_ref()
            .map(fmt_datetime)
            .unwrap_or_else(|| "Never".into()),
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct NewApp {
    name: String,
    access: String,
    commission: String,
}

#[derive(Template)]
#[template(path = "apps/list.html")]
struct ListPage {
    ctx: Ctx,
    apps: Vec<AppRow>,
    form: NewApp,
    errors: FieldErrors,
    /// A code was entered within the last minutes: the form is open (a new secret needs it).
    fresh: bool,
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &PartnerAdmin,
    form: NewApp,
    errors: FieldErrors,
) -> AppResult<HttpResponse> {
    let apps = svc::list(&state.core, admin.0.org_id())
        .await?
        .iter()
        .map(row)
        .collect();
    let page = ListPage {
        ctx: Ctx::new(req, Some(&admin.0.principal())),
        apps,
        form,
        errors,
        fresh: crate::web::public::security::step_up(req, &admin.0.user)
            == crate::domain::two_factor::StepUp::Fresh,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    }
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
) -> AppResult<HttpResponse> {
    let form = NewApp {
        access: "readwrite".into(),
        ..Default::default()
    };
    list_page(&req, &state, &admin, form, FieldErrors::default()).await
}

#[derive(Template)]
#[template(path = "apps/show.html")]
struct ShowPage {
    ctx: Ctx,
    app: AppRow,
    commission: CommissionRate,
    /// Shown once, right after creation or rotation.
    secret: Option<String>,
    calls: Vec<CallRow>,
    base_url: String,
}

pub struct CallRow {
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub duration_ms: i32,
}

/// The app's page; `secret` right after it was made or rotated (shown this once).
async fn show_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &PartnerAdmin,
    id: AppId,
    secret: Option<String>,
) -> AppResult<HttpResponse> {
    let (app, calls) = svc::get(&state.core, admin.0.org_id(), id).await?;
    let calls = calls
        .into_iter()
        .map(|c| CallRow {
            at: fmt_datetime(&c.at),
            method: c.method,
            path: c.path,
            status: c.status,
            duration_ms: c.duration_ms,
        })
        .collect();
    render(&ShowPage {
        ctx: Ctx::new(req, Some(&admin.0.principal())),
        commission: app.default_commission,
        app: row(&app),
        secret,
        calls,
        base_url: state.config.public_url.clone(),
    })
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    form: CsrfForm<NewApp>,
) -> AppResult<HttpResponse> {
    // A new secret needs a code entered within the last minutes.
    crate::web::public::security::require_fresh_code(&req, &admin.0.user, urls::APPS)?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", PlainName::parse(&p.name, "app name"));
    let commission = errors.check("commission", CommissionRate::parse(&p.commission));
    let scopes: &[&str] = match p.access.as_str() {
        "readwrite" => &[SCOPE_READWRITE],
        "read" => &[SCOPE_READ],
        "orders" => &[SCOPE_READWRITE, SCOPE_ORDERS],
        "commission" => &[SCOPE_READ, SCOPE_COMMISSION],
        "all" => &[SCOPE_READWRITE, SCOPE_ORDERS, SCOPE_COMMISSION],
        _ => {
            errors.add("access", "Choose what the app may do.");
            &[]
        }
    };
    let (Some(name), Some(commission)) = (name, commission) else {
        return list_page(&req, &state, &admin, p, errors).await;
    };
    if errors.has("access") {
        return list_page(&req, &state, &admin, p, errors).await;
    }
    let (app, secret) = svc::create(
        &state.core,
        &admin.0.actor(),
        admin.0.org_id(),
        name,
        scopes,
        commission,
    )
    .await?;
    show_page(&req, &state, &admin, app.id, Some(secret)).await
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    show_page(&req, &state, &admin, parse_id(&id)?, None).await
}

#[derive(Deserialize)]
struct Empty {}

/// A form that is sent again from its confirmation page.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Confirm {
    confirmed: String,
}

async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    crate::web::public::security::require_fresh_code(
        &req,
        &admin.0.user,
        &format!("{}/{}", urls::APPS, id.as_str()),
    )?;
    let (app, secret) = svc::rotate(
        &state.core,
        &admin.0.actor(),
        admin.0.org_id(),
        parse_id(&id)?,
    )
    .await?;
    show_page(&req, &state, &admin, app.id, Some(secret)).await
}

async fn revoke(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    form: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    if !confirmed(&form.0.confirmed) {
        // Another partner's app is "not found" here too.
        let (app, _) = svc::get(&state.core, admin.0.org_id(), id).await?;
        return ask_first(
            &req,
            &admin.0.principal(),
            &Confirmation {
                title: format!("Revoke {}?", app.name),
                explanation: "Its client secret and every access token it holds stop working at \
                    once, so whatever uses it can no longer call the API. This cannot be undone: \
                    to connect again, register a new app."
                    .into(),
                button: "Revoke the app".into(),
                action: urls::app_revoke(id),
                back: urls::app(id),
                fields: vec![],
            },
        );
    }
    let app = svc::revoke(&state.core, &admin.0.actor(), admin.0.org_id(), id).await?;
    Ok(redirect_with(
        &session,
        urls::APPS,
        "success",
        &format!(
            "{} is revoked: its secret and tokens no longer work.",
            app.name
        ),
    ))
}

#[derive(Template)]
#[template(path = "apps/guide.html")]
struct GuidePage {
    ctx: Ctx,
    base_url: String,
}

async fn guide(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybePrincipal,
) -> AppResult<HttpResponse> {
    render(&GuidePage {
        ctx: Ctx::new(&req, user.0.as_ref()),
        base_url: state.config.public_url.clone(),
    })
}
