//! actix-session storage in the database: sessions survive restarts, are shared by every
//! instance, and can be revoked (sign-out everywhere on password change or deactivation).
//! Only the SHA-256 of the cookie's key is stored; the rows are read and written through
//! `services::session_rows`.
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
use uuid::Uuid;

use super::session::{
    Acting, ActingAsUser, SignedIn, ACTING, IP, PRINCIPAL, SID, USER_AGENT, USER_ID,
};
use crate::{db::Db, security::tokens::hash_token, services::session_rows as rows};

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

async fn upsert(db: &Db, key_hash: String, mut state: State, ttl: &Duration) -> anyhow::Result<()> {
    state.remove(PRINCIPAL);
    state.remove(SID);
    rows::upsert(
        db,
        rows::Write {
            key_hash,
            user_id: user_of(&state),
            user_agent: text_of(&state, USER_AGENT),
            ip: text_of(&state, IP),
            state: serde_json::to_string(&state)?,
            expires_at: expiry(ttl),
        },
    )
    .await?;
    Ok(())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let Some(row) = rows::load(&self.db, &hash_token(key.as_ref()))
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
        if let Some((user, partner)) = row.user {
            // Login As: the customer user acted as, read too (the session holds only ids),
            // with its grounds read fresh on every request.
            let mut lapse = None;
            let acting = match state
                .get(ACTING)
                .and_then(|v| serde_json::from_str::<Acting>(v).ok())
            {
                Some(acting) => {
                    let (customer, gone) = rows::acting_grounds(
                        &self.db,
                        &user,
                        partner.as_ref(),
                        acting.user,
                        acting.account,
                        acting.registration,
                    )
                    .await
                    .map_err(|e| LoadError::Other(e.into()))?;
                    lapse = gone;
                    customer.map(|customer| ActingAsUser { customer, acting })
                }
                None => None,
            };
            let principal = SignedIn {
                user,
                partner,
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
        let exists = rows::exists(&self.db, &hash)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
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
        rows::set_expiry(&self.db, &hash_token(key.as_ref()), expiry(ttl)).await?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        rows::delete(&self.db, &hash_token(key.as_ref())).await?;
        Ok(())
    }
}
