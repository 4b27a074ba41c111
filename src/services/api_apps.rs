//! Partner API apps: client credentials (the secret is shown once and stored hashed), scopes,
//! rotation and revocation, opaque access tokens (stored hashed, one hour), and the log of
//! calls. Checking a token is one indexed look-up of its hash: no password hash per call.
use super::Core;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    views::{ApiApp, ApiCall, Partner},
};
use crate::{
    domain::{AppId, CommissionRate, PartnerId, PlainName},
    entities::{api_apps, api_calls, api_tokens, partners},
    security::tokens::{constant_time_eq, hash_token, random_token},
};

pub const SCOPE_READWRITE: &str = "elements.customers.readwrite.all";
pub const SCOPE_READ: &str = "elements.customers.read.all";
/// Place orders for the partner's customers and read their licenses.
pub const SCOPE_ORDERS: &str = "elements.orders.readwrite.all";
/// Read the partner's commission statements and their lines.
pub const SCOPE_COMMISSION: &str = "elements.commission.read.all";
pub const ALL_SCOPES: [&str; 4] = [SCOPE_READWRITE, SCOPE_READ, SCOPE_ORDERS, SCOPE_COMMISSION];
pub const TOKEN_TTL: Duration = Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum AppsError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(AppsError);

/// The actor recorded in audit events for what an app does.
pub fn actor(app: &ApiApp) -> Actor {
    Actor {
        user_id: None,
        label: format!("API app {} ({})", app.name, app.client_id),
    }
}

/// Registers an app; returns it with its client secret, which is never shown again.
#[tracing::instrument(skip(core, user, name), fields(partner = %partner_id))]
pub async fn create(
    core: &Core,
    user: &Actor,
    partner_id: PartnerId,
    name: PlainName,
    scopes: &[&str],
    commission: CommissionRate,
) -> Result<(ApiApp, String), AppsError> {
    let partner_id = partner_id.uuid();
    let secret = random_token();
    let txn = core.db.begin().await?;
    let app = api_apps::Entity::insert(api_apps::ActiveModel {
        id: Set(Uuid::new_v4()),
        partner_id: Set(partner_id),
        name: Set(name.into_inner()),
        client_id: Set(format!("pp_{}", Uuid::new_v4().simple())),
        secret_hash: Set(hash_token(&secret)),
        scopes: Set(scopes.join(" ")),
        default_commission_bp: Set(commission.bp()),
        active: Set(true),
        created_by_label: Set(user.label.clone()),
        created_at: Set(core.now()),
        secret_rotated_at: Set(None),
        revoked_at: Set(None),
        last_used_at: Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        core.now(),
        user,
        "api_app.created",
        About::partner(Some(partner_id), Some(app.id)),
        &format!("{} ({})", app.name, app.scopes),
    )
    .await?;
    txn.commit().await?;
    Ok((app.into(), secret))
}

#[tracing::instrument(skip_all, level = "debug")]
pub async fn list(core: &Core, partner_id: PartnerId) -> Result<Vec<ApiApp>, AppsError> {
    Ok(api_apps::Entity::find()
        .filter(api_apps::Column::PartnerId.eq(partner_id.uuid()))
        .order_by_desc(api_apps::Column::CreatedAt)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The partner's own app with its recent calls; another partner's is "not found".
#[tracing::instrument(skip_all, level = "debug")]
pub async fn get(
    core: &Core,
    partner_id: PartnerId,
    id: AppId,
) -> Result<(ApiApp, Vec<ApiCall>), AppsError> {
    let app = find(&core.db.read, partner_id.uuid(), id.uuid()).await?;
    let calls = api_calls::Entity::find()
        .filter(api_calls::Column::AppId.eq(app.id))
        .order_by_desc(api_calls::Column::At)
        .limit(50)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok((app.into(), calls))
}

async fn find(
    conn: &impl ConnectionTrait,
    partner_id: Uuid,
    id: Uuid,
) -> Result<api_apps::Model, AppsError> {
    api_apps::Entity::find_by_id(id)
        .filter(api_apps::Column::PartnerId.eq(partner_id))
        .one(conn)
        .await?
        .ok_or(AppsError::NotFound)
}

/// A new secret; the old secret and every token issued with it stop working.
#[tracing::instrument(skip(core, user))]
pub async fn rotate(
    core: &Core,
    user: &Actor,
    partner_id: PartnerId,
    id: AppId,
) -> Result<(ApiApp, String), AppsError> {
    let partner_id = partner_id.uuid();
    let txn = core.db.begin().await?;
    let app = find(&txn, partner_id, id.uuid()).await?;
    if !app.active {
        return Err(AppsError::NotFound);
    }
    let secret = random_token();
    let app = change_and_end_tokens(
        &txn,
        core.now(),
        user,
        partner_id,
        api_apps::ActiveModel {
            id: Set(app.id),
            secret_hash: Set(hash_token(&secret)),
            secret_rotated_at: Set(Some(core.now())),
            ..Default::default()
        },
        "api_app.secret_rotated",
    )
    .await?;
    txn.commit().await?;
    Ok((app.into(), secret))
}

#[tracing::instrument(skip(core, user))]
pub async fn revoke(
    core: &Core,
    user: &Actor,
    partner_id: PartnerId,
    id: AppId,
) -> Result<ApiApp, AppsError> {
    let partner_id = partner_id.uuid();
    let txn = core.db.begin().await?;
    let app = find(&txn, partner_id, id.uuid()).await?;
    let app = change_and_end_tokens(
        &txn,
        core.now(),
        user,
        partner_id,
        api_apps::ActiveModel {
            id: Set(app.id),
            active: Set(false),
            revoked_at: Set(Some(core.now())),
            ..Default::default()
        },
        "api_app.revoked",
    )
    .await?;
    txn.commit().await?;
    Ok(app.into())
}

/// Saves `change` to the app, ends every access token it issued, and records `action`.
async fn change_and_end_tokens(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user: &Actor,
    partner_id: Uuid,
    change: api_apps::ActiveModel,
    action: &str,
) -> Result<api_apps::Model, AppsError> {
    let app = api_apps::Entity::update(change).exec(conn).await?;
    api_tokens::Entity::delete_many()
        .filter(api_tokens::Column::AppId.eq(app.id))
        .exec(conn)
        .await?;
    audit::record(
        conn,
        now,
        user,
        action,
        About::partner(Some(partner_id), Some(app.id)),
        &app.name,
    )
    .await?;
    Ok(app)
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Unknown client, wrong secret, or a revoked app.
    InvalidClient,
    /// A requested scope the app does not hold (or an unknown one).
    InvalidScope(String),
}

pub struct IssuedToken {
    pub token: String,
    pub scopes: Vec<String>,
    pub expires_in: i64,
}

/// OAuth 2.0 client credentials: checks the client and issues a token for the requested
/// scopes (all of the app's when none are requested).
#[tracing::instrument(skip_all)]
pub async fn issue_token(
    core: &Core,
    client_id: &str,
    secret: &str,
    requested: Option<&str>,
) -> Result<Result<IssuedToken, TokenError>, DbErr> {
    let app = api_apps::Entity::find()
        .filter(api_apps::Column::ClientId.eq(client_id))
        .one(&core.db.read)
        .await?;
    let Some(app) = app.filter(|a| {
        a.active && constant_time_eq(a.secret_hash.as_bytes(), hash_token(secret).as_bytes())
    }) else {
        return Ok(Err(TokenError::InvalidClient));
    };
    let held: Vec<String> = app.scopes.split_whitespace().map(str::to_string).collect();
    let scopes: Vec<String> = match requested.map(str::trim).filter(|s| !s.is_empty()) {
        None => held.clone(),
        Some(req) => {
            let asked: Vec<String> = req.split_whitespace().map(str::to_string).collect();
            if let Some(bad) = asked.iter().find(|s| !held.contains(s)) {
                return Ok(Err(TokenError::InvalidScope(bad.clone())));
            }
            asked
        }
    };
    let token = random_token();
    let now = core.now();
    api_tokens::Entity::insert(api_tokens::ActiveModel {
        token_hash: Set(hash_token(&token)),
        app_id: Set(app.id),
        scopes: Set(scopes.join(" ")),
        expires_at: Set(now + TOKEN_TTL),
        created_at: Set(now),
    })
    .exec_without_returning(&core.db.write)
    .await?;
    // Expired tokens of this app are cleaned up as new ones are issued.
    api_tokens::Entity::delete_many()
        .filter(api_tokens::Column::AppId.eq(app.id))
        .filter(api_tokens::Column::ExpiresAt.lt(now))
        .exec(&core.db.write)
        .await?;
    Ok(Ok(IssuedToken {
        token,
        scopes,
        expires_in: TOKEN_TTL.num_seconds(),
    }))
}

/// Who a bearer token speaks for.
#[derive(Clone)]
pub struct ApiClient {
    pub app: ApiApp,
    pub partner: Partner,
    pub scopes: Vec<String>,
}

impl ApiClient {
    pub fn can_write(&self) -> bool {
        self.scopes.iter().any(|s| s == SCOPE_READWRITE)
    }

    pub fn can_read(&self) -> bool {
        self.can_write() || self.scopes.iter().any(|s| s == SCOPE_READ)
    }

    pub fn can_order(&self) -> bool {
        self.scopes.iter().any(|s| s == SCOPE_ORDERS)
    }

    pub fn can_read_commission(&self) -> bool {
        self.scopes.iter().any(|s| s == SCOPE_COMMISSION)
    }
}

/// The app behind a token, if the token is known, unexpired, and its app and partner active.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn authenticate(core: &Core, token: &str) -> Result<Option<ApiClient>, DbErr> {
    // One query for the token, its app and the app's partner: it runs on every API call.
    let Some((t, Some(app), Some(partner))) = api_tokens::Entity::find_by_id(hash_token(token))
        .filter(api_tokens::Column::ExpiresAt.gt(core.now()))
        .find_also_related(api_apps::Entity)
        .and_also_related(partners::Entity)
        .one(&core.db.read)
        .await?
    else {
        return Ok(None);
    };
    if !app.active || !partner.active {
        return Ok(None);
    }
    Ok(Some(ApiClient {
        scopes: t.scopes.split_whitespace().map(str::to_string).collect(),
        app: app.into(),
        partner: partner.into(),
    }))
}

/// One API call, for the app's "recent calls".
pub struct Call {
    pub app_id: AppId,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub duration_ms: i32,
    pub at: chrono::DateTime<Utc>,
}

/// Writes logged calls in batches off the request path, and keeps each app's "last used".
pub async fn run_call_log(core: std::sync::Arc<Core>, mut rx: tokio::sync::mpsc::Receiver<Call>) {
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < 500 {
            match rx.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        if let Err(e) = write_calls(&core, std::mem::take(&mut batch)).await {
            tracing::warn!(error = %e, "writing the API call log failed");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn write_calls(core: &Core, calls: Vec<Call>) -> Result<(), DbErr> {
    let mut last: std::collections::HashMap<Uuid, chrono::DateTime<Utc>> = Default::default();
    for c in &calls {
        let e = last.entry(c.app_id.uuid()).or_insert(c.at);
        *e = (*e).max(c.at);
    }
    let backend = core.db.backend();
    let mut rows =
        vec![
            api_calls::Entity::insert_many(calls.into_iter().map(|c| api_calls::ActiveModel {
                id: Set(Uuid::now_v7()),
                app_id: Set(c.app_id.uuid()),
                at: Set(c.at),
                method: Set(c.method),
                path: Set(c.path.chars().take(200).collect()),
                status: Set(c.status as i32),
                duration_ms: Set(c.duration_ms),
            }))
            .build(backend),
        ];
    rows.extend(last.into_iter().map(|(app, at)| {
        api_apps::Entity::update_many()
            .col_expr(api_apps::Column::LastUsedAt, Expr::value(at))
            .filter(api_apps::Column::Id.eq(app))
            .build(backend)
    }));
    // Joins the group commit on SQLite instead of holding the writer for its own transaction.
    core.db.commit_all(rows).await
}
