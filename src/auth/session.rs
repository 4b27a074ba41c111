//! Typed access to what the session holds: the signed-in user, the CSRF token, a flash message.
use actix_session::Session;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tokens::random_token;
use crate::services::views::{Partner, User};

pub const USER_ID: &str = "uid";
/// Login As: the customer user a partner user acts as, and until when (see [`Acting`]).
pub const ACTING: &str = "acting";
/// The signed-in user and org as loaded with the session (never stored).
pub const PRINCIPAL: &str = "_principal";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// `success` | `error` | `info`: also the CSS modifier.
    pub kind: String,
    pub message: String,
}

/// The user and partner org read together with the session row, and for Login As the
/// customer user acted as.
#[derive(Serialize, Deserialize)]
pub struct SignedIn {
    pub user: User,
    pub partner: Option<Partner>,
    #[serde(default)]
    pub acting: Option<ActingAsUser>,
    /// While acting: the ground of the Login As that stopped holding, read fresh on this
    /// request (the request is not served; the Login As ends).
    #[serde(default)]
    pub lapse: Option<crate::domain::login_as::Lapse>,
}

/// What a Login As session holds besides its partner user (who stays `uid`, so revoking the
/// partner user's sessions ends it too).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Acting {
    pub user: Uuid,
    pub account: Uuid,
    pub registration: Uuid,
    /// The customer's company name, as the banner shows it.
    pub company: String,
    pub since: chrono::DateTime<chrono::Utc>,
    pub until: chrono::DateTime<chrono::Utc>,
}

/// The customer user acted as, loaded with the session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActingAsUser {
    pub customer: User,
    pub acting: Acting,
}

/// This session's Login As, if it is one.
pub fn acting(session: &Session) -> Option<Acting> {
    session.get::<Acting>(ACTING).ok().flatten()
}

/// Starts Login As on this session: a new session id, the partner user still signed in
/// underneath, a new CSRF token, nothing else carried over.
pub fn start_acting(session: &Session, partner_user: Uuid, acting: &Acting) {
    sign_in(session, partner_user);
    let _ = session.insert(ACTING, acting);
}

/// Ends Login As: back to the partner user's own session, again under a new id.
pub fn stop_acting(session: &Session, partner_user: Uuid) {
    sign_in(session, partner_user);
}

/// The user loaded with this request's session, if it is the signed-in user.
pub fn signed_in(session: &Session) -> Option<SignedIn> {
    let p = session.get::<SignedIn>(PRINCIPAL).ok().flatten()?;
    (Some(p.user.id.uuid()) == user_id(session)).then_some(p)
}

pub fn user_id(session: &Session) -> Option<Uuid> {
    session.get::<Uuid>(USER_ID).ok().flatten()
}

/// A new session id (no fixation), emptied, with a new CSRF token for the signed-in user.
pub fn sign_in(session: &Session, user: Uuid) {
    // Nothing from before the sign-in carries over (a stale flash, or anything planted).
    session.clear();
    session.renew();
    let _ = session.insert(USER_ID, user);
    let _ = session.insert(CSRF, random_token());
}

/// Ends the sign-in: the session row is deleted and an empty session with a new id takes its
/// place, so that a flash message set afterwards ("You have been signed out.") still shows.
/// (`Session::purge` would drop anything inserted after it.)
pub fn sign_out(session: &Session) {
    session.clear();
    session.renew();
}

/// The signed-in session's CSRF token (see `csrf::token`).
pub fn expected_csrf(session: &Session) -> Option<String> {
    session.get::<String>(CSRF).ok().flatten()
}

pub fn flash(session: &Session, kind: &str, message: impl Into<String>) {
    let _ = session.insert(
        FLASH,
        Flash {
            kind: kind.to_string(),
            message: message.into(),
        },
    );
}

/// The pending flash message, removed once read. Only a session that holds one is touched:
/// `Session::remove` marks the session changed even when the key is absent, which would make
/// every page view write the session row.
///
/// A session that held nothing else (a signed-out visitor's, kept only to carry the message)
/// is then deleted, row and cookie.
pub fn take_flash(session: &Session) -> Option<Flash> {
    if !session.contains_key(FLASH) {
        return None;
    }
    let flash = session.remove_as::<Flash>(FLASH).and_then(Result::ok);
    if session.entries().is_empty() {
        session.purge();
    }
    flash
}
