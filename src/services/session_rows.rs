//! The rows behind signed-in sessions, for the web face's session store: read a session with
//! its user and partner (and, for a Login As, its grounds read fresh), write it, extend or
//! delete it. Only the SHA-256 of the cookie's key reaches this module.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::views::{Partner, User};
use crate::{
    db::Db,
    domain::{login_as, Role, Status, UserKind},
    entities::{partners, registrations, sessions, users},
};

/// A session's row is refreshed with its last-seen time at most this often.
const SEEN_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// A live session as stored.
pub struct Loaded {
    /// The state as the store wrote it (JSON).
    pub state: String,
    /// The id the user's security page names it by.
    pub id: Option<Uuid>,
    /// Its signed-in user, with their partner org.
    pub user: Option<(User, Option<Partner>)>,
}

/// The live session with this key hash, if any; its last-seen time is refreshed now and then.
pub async fn load(db: &Db, key_hash: &str) -> Result<Option<Loaded>, sea_orm::DbErr> {
    let Some((row, user, partner)) = sessions::Entity::find_by_id(key_hash.to_string())
        .filter(sessions::Column::ExpiresAt.gt(Utc::now()))
        .find_also_related(users::Entity)
        .and_also_related(partners::Entity)
        .one(&db.read)
        .await?
    else {
        return Ok(None);
    };
    if row.user_id.is_some()
        && row
            .last_seen_at
            .is_none_or(|seen| Utc::now() - seen > SEEN_EVERY)
    {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::value(Utc::now()))
            .filter(sessions::Column::KeyHash.eq(row.key_hash.clone()))
            .exec(&db.write)
            .await?;
    }
    Ok(Some(Loaded {
        state: row.state,
        id: row.id,
        user: user.map(|u| (u.into(), partner.map(Into::into))),
    }))
}

/// What a running Login As rests on, read fresh: the customer user acted as, and the first
/// of its grounds that no longer holds (the registration still active and in management
/// mode, the partner not suspended and members still allowed, both users active).
pub async fn acting_grounds(
    db: &Db,
    by: &User,
    partner: Option<&Partner>,
    customer_user: Uuid,
    account: Uuid,
    registration: Uuid,
) -> Result<(Option<User>, Option<login_as::Lapse>), sea_orm::DbErr> {
    let (customer, reg) = tokio::try_join!(
        users::Entity::find_by_id(customer_user).one(&db.read),
        registrations::Entity::find_by_id(registration)
            .filter(registrations::Column::AccountId.eq(account))
            .one(&db.read),
    )?;
    let reg = reg.filter(|r| Some(r.partner_id) == by.partner_id.map(|p| p.uuid()));
    let lapse = login_as::lapse(&login_as::Grounds {
        by_active: by.active,
        by_admin: by.role == Role::Admin,
        partner_active: partner.is_some_and(|p| p.active),
        members_allowed: partner.is_some_and(|p| p.members_login_as),
        registration_active: reg.as_ref().is_some_and(|r| r.status == Status::Active),
        management_mode: reg.as_ref().is_some_and(|r| r.management_mode),
        target_active: customer.as_ref().is_some_and(|c| {
            c.active && c.kind == UserKind::Customer && c.account_id == Some(account)
        }),
    });
    Ok((customer.map(Into::into), lapse))
}

/// A session to write.
pub struct Write {
    pub key_hash: String,
    pub user_id: Option<Uuid>,
    pub state: String,
    pub expires_at: DateTime<Utc>,
    /// From the sign-in, for the security page.
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Writes the session; its id and the time it began stay those of the first write.
pub async fn upsert(db: &Db, w: Write) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    let row = sessions::ActiveModel {
        key_hash: Set(w.key_hash),
        user_id: Set(w.user_id),
        state: Set(w.state),
        expires_at: Set(w.expires_at),
        id: Set(Some(Uuid::new_v4())),
        created_at: Set(Some(now)),
        last_seen_at: Set(Some(now)),
        user_agent: Set(w.user_agent),
        ip: Set(w.ip),
    };
    sessions::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sessions::Column::KeyHash)
                .update_columns([
                    sessions::Column::UserId,
                    sessions::Column::State,
                    sessions::Column::ExpiresAt,
                    sessions::Column::LastSeenAt,
                    sessions::Column::UserAgent,
                    sessions::Column::Ip,
                ])
                .to_owned(),
        )
        .exec_without_returning(&db.write)
        .await?;
    Ok(())
}

/// The session still exists (it may have been revoked meanwhile).
pub async fn exists(db: &Db, key_hash: &str) -> Result<bool, sea_orm::DbErr> {
    Ok(sessions::Entity::find_by_id(key_hash.to_string())
        .one(&db.write)
        .await?
        .is_some())
}

pub async fn set_expiry(db: &Db, key_hash: &str, at: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::ExpiresAt, Expr::value(at))
        .filter(sessions::Column::KeyHash.eq(key_hash))
        .exec(&db.write)
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, key_hash: &str) -> Result<(), sea_orm::DbErr> {
    sessions::Entity::delete_by_id(key_hash.to_string())
        .exec(&db.write)
        .await?;
    Ok(())
}
