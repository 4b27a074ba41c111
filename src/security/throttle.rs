//! Sign-in throttling per account and per client address, kept in the database so every
//! instance sees the same counts. A key is refused once its failures within the window reach
//! the limit; the window restarts after it passes. Unknown accounts are counted the same way,
//! so the answer does not reveal whether an account exists.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::entities::login_throttle;

pub fn account_key(email: &str) -> String {
    format!("acct:{}", email.trim().to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// When the key may try again, if it is locked out at `now`.
pub async fn locked_until(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    key: &str,
    limit: i32,
    window: Duration,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let row = login_throttle::Entity::find_by_id(key.to_string())
        .one(conn)
        .await?;
    Ok(row.and_then(|r| {
        let until = r.window_start + window;
        (r.failures >= limit && until > now).then_some(until)
    }))
}

pub async fn record_failure(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    key: &str,
    window: Duration,
) -> Result<(), DbErr> {
    let current = login_throttle::Entity::find_by_id(key.to_string())
        .one(conn)
        .await?;
    let (failures, start) = match current {
        Some(r) if r.window_start + window > now => (r.failures + 1, r.window_start),
        _ => (1, now),
    };
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(failures),
        window_start: Set(start),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Key)
            .update_columns([
                login_throttle::Column::Failures,
                login_throttle::Column::WindowStart,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

pub async fn clear(conn: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_throttle::Entity::delete_by_id(key.to_string())
        .exec(conn)
        .await?;
    Ok(())
}
