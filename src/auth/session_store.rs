//! actix-session storage in the database: sessions survive restarts, are shared by every
//! instance, and can be revoked (sign-out everywhere on password change or deactivation).
//! Only the SHA-256 of the cookie's key is stored.
//!
//! Loading a session also reads its user and their partner org in the same query (every
//! signed-in page needs them) and hands them to the extractors under `session::PRINCIPAL`;
//! that entry is read fresh on each request and never written back.
use std::collections::HashMap;

use actix_session::storage::{
    generate_session_key, LoadError, SaveError, SessionKey, SessionStore, UpdateError,
};
use actix_web::cookie::time::Duration;
use chrono::Utc;
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{
    session::{Acting, ActingAsUser, SignedIn, ACTING, IP, PRINCIPAL, SID, USER_AGENT, USER_ID},
    tokens::hash_token,
};
use crate::{
    db::Db,
    domain::login_as,
    entities::{partners, registrations, sessions, users},
};

type State = HashMap<String, String>;

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn user_of(state: &State) -> Option<Uuid> {
    state
        .get(USER_ID)
        .and_then(|v| serde_json::from_str::<Uuid>(v).ok())
}

fn expiry(ttl: &Duration) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

/// A string entry of the state (stored as JSON).
fn text_of(state: &State, key: &str) -> Option<String> {
    state
        .get(key)
        .and_then(|v| serde_json::from_str::<String>(v).ok())
}

/// A session's row is refreshed with its last-seen time at most this often.
const SEEN_EVERY: chrono::Duration = chrono::Duration::minutes(5);

async fn upsert(db: &Db, key_hash: String, mut state: State, ttl: &Duration) -> anyhow::Result<()> {
    state.remove(PRINCIPAL);
    state.remove(SID);
    let now = Utc::now();
    let row = sessions::ActiveModel {
        key_hash: Set(key_hash),
        user_id: Set(user_of(&state)),
        state: Set(serde_json::to_string(&state)?),
        expires_at: Set(expiry(ttl)),
        id: Set(Some(Uuid::new_v4())),
        created_at: Set(Some(now)),
        last_seen_at: Set(Some(now)),
        user_agent: Set(text_of(&state, USER_AGENT)),
        ip: Set(text_of(&state, IP)),
    };
    // The id and the time it began stay those of the first write.
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

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let Some((row, user, partner)) = sessions::Entity::find_by_id(hash_token(key.as_ref()))
            .filter(sessions::Column::ExpiresAt.gt(Utc::now()))
            .find_also_related(users::Entity)
            .and_also_related(partners::Entity)
            .one(&self.db.read)
            .await
            .map_err(|e| LoadError::Other(e.into()))?
        else {
            return Ok(None);
        };
        let mut state: State =
            serde_json::from_str(&row.state).map_err(|e| LoadError::Deserialization(e.into()))?;
        state.remove(PRINCIPAL);
        if let Some(id) = row.id {
            state.insert(SID.into(), serde_json::to_string(&id).unwrap_or_default());
        }
        // Last seen, for the user's security page: written now and then, not on every request.
        if row.user_id.is_some()
            && row
                .last_seen_at
                .is_none_or(|seen| Utc::now() - seen > SEEN_EVERY)
        {
            sessions::Entity::update_many()
                .col_expr(
                    sessions::Column::LastSeenAt,
                    sea_orm::sea_query::Expr::value(Utc::now()),
                )
                .filter(sessions::Column::KeyHash.eq(row.key_hash.clone()))
                .exec(&self.db.write)
                .await
                .map_err(|e| LoadError::Other(e.into()))?;
        }
        if let Some(user) = user {
            // Login As: the customer user acted as, read too (the session holds only ids).
            // Its grounds are read fresh on every request: the registration (still active,
            // in management mode), the partner (not suspended, members still allowed) and
            // both users.
            let mut lapse = None;
            let acting = match state
                .get(ACTING)
                .and_then(|v| serde_json::from_str::<Acting>(v).ok())
            {
                Some(acting) => {
                    let (customer, reg) = tokio::try_join!(
                        users::Entity::find_by_id(acting.user).one(&self.db.read),
                        registrations::Entity::find_by_id(acting.registration)
                            .filter(registrations::Column::AccountId.eq(acting.account))
                            .one(&self.db.read),
                    )
                    .map_err(|e| LoadError::Other(e.into()))?;
                    let reg = reg.filter(|r| Some(r.partner_id) == user.partner_id);
                    lapse = login_as::lapse(&login_as::Grounds {
                        by_active: user.active,
                        by_admin: user.role == crate::domain::Role::Admin,
                        partner_active: partner.as_ref().is_some_and(|p| p.active),
                        members_allowed: partner.as_ref().is_some_and(|p| p.members_login_as),
                        registration_active: reg
                            .as_ref()
                            .is_some_and(|r| r.status == crate::domain::Status::Active),
                        management_mode: reg.as_ref().is_some_and(|r| r.management_mode),
                        target_active: customer.as_ref().is_some_and(|c| {
                            c.active
                                && c.kind == crate::domain::UserKind::Customer
                                && c.account_id == Some(acting.account)
                        }),
                    });
                    customer.map(|customer| ActingAsUser {
                        customer: customer.into(),
                        acting,
                    })
                }
                None => None,
            };
            let principal = SignedIn {
                user: user.into(),
                partner: partner.map(Into::into),
                acting,
                lapse,
            };
            let json = serde_json::to_string(&principal)
                .map_err(|e| LoadError::Deserialization(e.into()))?;
            state.insert(PRINCIPAL.into(), json);
        }
        Ok(Some(state))
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        upsert(&self.db, hash_token(key.as_ref()), state, ttl)
            .await
            .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        // A session revoked meanwhile must not come back to life through an update.
        let hash = hash_token(key.as_ref());
        let exists = sessions::Entity::find_by_id(hash.clone())
            .one(&self.db.write)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?
            .is_some();
        if !exists {
            return self.save(state, ttl).await.map_err(|e| match e {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            });
        }
        upsert(&self.db, hash, state, ttl)
            .await
            .map_err(UpdateError::Other)?;
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        sessions::Entity::update_many()
            .col_expr(
                sessions::Column::ExpiresAt,
                sea_orm::sea_query::Expr::value(expiry(ttl)),
            )
            .filter(sessions::Column::KeyHash.eq(hash_token(key.as_ref())))
            .exec(&self.db.write)
            .await?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        sessions::Entity::delete_by_id(hash_token(key.as_ref()))
            .exec(&self.db.write)
            .await?;
        Ok(())
    }
}

/// Signs a user out everywhere (password change, deactivation).
pub async fn revoke_user_sessions(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<(), sea_orm::DbErr> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Removes expired sessions; run now and then by the background worker.
pub async fn purge_expired(conn: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::ExpiresAt.lt(Utc::now()))
        .exec(conn)
        .await?
        .rows_affected)
}
