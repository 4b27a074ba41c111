//! API app registration for partner admins (`/apps`): register an app with scopes, see its
//! client id and (once) its secret, rotate the secret, revoke the app, see its recent calls;
//! and the API guide with a worked `curl` session (`/docs/api`).
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::{ctx::Ctx, fmt_datetime, redirect_with, render, render_invalid, FieldErrors};
use crate::{
    auth::{csrf::CsrfForm, extractors::MaybeUser, PartnerAdmin},
    domain::{CommissionRate, PlainName},
    entities::api_apps,
    error::{AppError, AppResult},
    services::{
        api_apps::{self as svc, AppsError, SCOPE_READ, SCOPE_READWRITE},
        audit::Actor,
    },
    startup::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps", web::get().to(list))
        .route("/apps", web::post().to(create))
        .route("/apps/{id}", web::get().to(show))
        .route("/apps/{id}/rotate", web::post().to(rotate))
        .route("/apps/{id}/revoke", web::post().to(revoke))
        .route("/docs/api", web::get().to(guide));
}

impl From<AppsError> for AppError {
    fn from(e: AppsError) -> Self {
        match e {
            AppsError::NotFound => AppError::NotFound,
            AppsError::Db(e) => e.into(),
        }
    }
}

pub struct AppRow {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub scopes: String,
    pub active: bool,
    pub created: String,
    pub last_used: String,
}

fn row(a: &api_apps::Model) -> AppRow {
    AppRow {
        id: a.id.to_string(),
        name: a.name.clone(),
        client_id: a.client_id.clone(),
        scopes: a.scopes.clone(),
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
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &PartnerAdmin,
    form: NewApp,
    errors: FieldErrors,
) -> AppResult<HttpResponse> {
    let apps = svc::list(&state.core.db.read, admin.0.org_id())
        .await?
        .iter()
        .map(row)
        .collect();
    let page = ListPage {
        ctx: Ctx::new(req, Some(&admin.0.current())),
        apps,
        form,
        errors,
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
    commission: String,
    /// Shown once, right after creation or rotation.
    secret: Option<String>,
    calls: Vec<CallRow>,
    base_url: String,
}

pub struct CallRow {
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: i32,
    pub duration_ms: i32,
}

async fn show_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &PartnerAdmin,
    app: api_apps::Model,
    secret: Option<String>,
) -> AppResult<HttpResponse> {
    let calls = svc::recent_calls(&state.core.db.read, app.id)
        .await?
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
        ctx: Ctx::new(req, Some(&admin.0.current())),
        commission: CommissionRate::from_bp(app.default_commission_bp).to_string(),
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
    let p = form.0;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", PlainName::parse(&p.name, "app name"));
    let commission = errors.check("commission", CommissionRate::parse(&p.commission));
    let scopes: &[&str] = match p.access.as_str() {
        "readwrite" => &[SCOPE_READWRITE],
        "read" => &[SCOPE_READ],
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
        &Actor::user(&admin.0.user),
        admin.0.org_id(),
        name,
        scopes,
        commission,
    )
    .await?;
    show_page(&req, &state, &admin, app, Some(secret)).await
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let app = svc::get(&state.core.db.read, admin.0.org_id(), parse_id(&id)?).await?;
    show_page(&req, &state, &admin, app, None).await
}

#[derive(Deserialize)]
struct Empty {}

async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (app, secret) = svc::rotate(
        &state.core,
        &Actor::user(&admin.0.user),
        admin.0.org_id(),
        parse_id(&id)?,
    )
    .await?;
    show_page(&req, &state, &admin, app, Some(secret)).await
}

async fn revoke(
    session: Session,
    state: web::Data<AppState>,
    admin: PartnerAdmin,
    id: web::Path<String>,
    _f: CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let app = svc::revoke(
        &state.core,
        &Actor::user(&admin.0.user),
        admin.0.org_id(),
        parse_id(&id)?,
    )
    .await?;
    Ok(redirect_with(
        &session,
        "/apps",
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
    user: MaybeUser,
) -> AppResult<HttpResponse> {
    render(&GuidePage {
        ctx: Ctx::new(&req, user.0.as_ref()),
        base_url: state.config.public_url.clone(),
    })
}
