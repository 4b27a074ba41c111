//! Idempotency keys for API writes: the first answer to a (app, key) is kept and replayed for
//! a repeat with the same body; a different body is refused; a repeat while the first is
//! still running is told so. A key lives 24 hours (then it is forgotten, and the clean-up job
//! deletes it). A request that never finished (its instance crashed) holds its key for
//! `LEASE` at most: a retry after that takes the key over and runs.
use super::Core;
use crate::domain::AppId;
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, Condition, DbErr, EntityTrait,
    QueryFilter,
};

use crate::entities::idempotency_keys as keys;

/// How long a key is kept after its first request.
pub const TTL: chrono::Duration = chrono::Duration::hours(24);
/// How long a request still running holds its key against a retry.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(60);

pub enum Begin {
    /// First time: go ahead, then `finish`.
    Proceed,
    /// Same key, same body, already answered.
    Replay { status: u16, body: String },
    /// Same key, another body.
    Mismatch,
    /// Same key, the first request has not finished.
    InProgress,
}

#[tracing::instrument(skip_all)]
pub async fn begin(
    core: &Core,
    app_id: AppId,
    key: &str,
    request_hash: &str,
) -> Result<Begin, DbErr> {
    let app_id = app_id.uuid();
    let now = core.now();
    // A key past its life, or a request that stopped without an answer (its instance died):
    // taken over by this request, as if new. Naming the row's state and time makes one of
    // two racing retries win.
    let taken = keys::Entity::update_many()
        .set(keys::ActiveModel {
            request_hash: Set(request_hash.to_string()),
            state: Set("in_progress".into()),
            response_status: Set(None),
            response_body: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .filter(keys::Column::AppId.eq(app_id))
        .filter(keys::Column::Key.eq(key))
        .filter(
            Condition::any()
                .add(keys::Column::CreatedAt.lt(now - TTL))
                .add(
                    Condition::all()
                        .add(keys::Column::State.eq("in_progress"))
                        .add(keys::Column::CreatedAt.lt(now - LEASE)),
                ),
        )
        .exec(&core.db.write)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(Begin::Proceed);
    }
    let inserted = keys::Entity::insert(keys::ActiveModel {
        app_id: Set(app_id),
        key: Set(key.to_string()),
        request_hash: Set(request_hash.to_string()),
        state: Set("in_progress".into()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([keys::Column::AppId, keys::Column::Key])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&core.db.write)
    .await?;
    if inserted == 1 {
        return Ok(Begin::Proceed);
    }
    let row = keys::Entity::find_by_id((app_id, key.to_string()))
        .one(&core.db.write)
        .await?;
    Ok(match row {
        None => Begin::InProgress,
        Some(r) if r.request_hash != request_hash => Begin::Mismatch,
        Some(r) => match (r.state.as_str(), r.response_status, r.response_body) {
            ("done", Some(status), Some(body)) => Begin::Replay {
                status: status as u16,
                body,
            },
            _ => Begin::InProgress,
        },
    })
}

#[tracing::instrument(skip_all)]
pub async fn finish(
    core: &Core,
    app_id: AppId,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), DbErr> {
    keys::Entity::update_many()
        .set(keys::ActiveModel {
            state: Set("done".into()),
            response_status: Set(Some(status as i32)),
            response_body: Set(Some(body.to_string())),
            ..Default::default()
        })
        .filter(keys::Column::AppId.eq(app_id.uuid()))
        .filter(keys::Column::Key.eq(key))
        .exec(&core.db.write)
        .await?;
    Ok(())
}

/// Forgets a key whose request failed unexpectedly, so the client can retry it.
#[tracing::instrument(skip_all)]
pub async fn abandon(core: &Core, app_id: AppId, key: &str) -> Result<(), DbErr> {
    keys::Entity::delete_many()
        .filter(keys::Column::AppId.eq(app_id.uuid()))
        .filter(keys::Column::Key.eq(key))
        .exec(&core.db.write)
        .await?;
    Ok(())
}

/// Deletes the keys past their life (the jobs loop runs it); returns how many.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn forget_expired(core: &Core) -> Result<u64, DbErr> {
    Ok(keys::Entity::delete_many()
        .filter(keys::Column::CreatedAt.lt(core.now() - TTL))
        .exec(&core.db.write)
        .await?
        .rows_affected)
}
