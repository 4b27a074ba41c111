//! Typed access to what the session holds: the signed-in user, the CSRF token, a flash message.
use actix_session::Session;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::security::tokens::random_token;
use crate::services::views::{Partner, User};

pub const USER_ID: &str = "uid";
/// Login As: the customer user a partner user acts as, and until when (see [`Acting`]).
pub const ACTING: &str = "acting";
/// The signed-in user and org as loaded with the session (never stored).
pub const PRINCIPAL: &str = "_principal";
/// The session's id as the security page names it (read with the session, never stored).
pub const SID: &str = "_sid";
/// The browser and address the session was signed in from (copied to the session's row).
pub const USER_AGENT: &str = "ua";
pub const IP: &str = "ip";
/// When this session last passed a second-factor code (for sensitive actions).
const SECOND_FACTOR_AT: &str = "mfa_at";
/// A sign-in that passed the password and waits for its code ([`Pending`]).
const PENDING: &str = "pending";
/// The TOTP secret being set up, until the user confirms it with a code.
const SETUP_SECRET: &str = "totp_setup";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// Where a sign-in comes from.
#[derive(Debug, Clone)]
pub struct Device {
    pub user_agent: String,
    pub ip: String,
}

/// A sign-in whose password was right, waiting for the second factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub user: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub next: String,
}

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
/// underneath, a new CSRF token; only the sign-in's browser, address and second factor carry
/// over.
pub fn start_acting(session: &Session, partner_user: Uuid, acting: &Acting) {
    renew(session, partner_user);
    let _ = session.insert(ACTING, acting);
}

/// Ends Login As: back to the partner user's own session, again under a new id.
pub fn stop_acting(session: &Session, partner_user: Uuid) {
    renew(session, partner_user);
}

/// A new session id for the same signed-in user (Login As, a password change): what the
/// sign-in recorded about the browser and the second factor carries over, nothing else.
pub fn renew(session: &Session, user: Uuid) {
    let same = user_id(session) == Some(user);
    let kept: Vec<(&str, String)> = [USER_AGENT, IP, SECOND_FACTOR_AT]
        .into_iter()
        .filter(|_| same)
        .filter_map(|k| {
            session
                .get::<serde_json::Value>(k)
                .ok()
                .flatten()
                .map(|v| (k, v.to_string()))
        })
        .collect();
    sign_in_bare(session, user);
    for (k, v) in kept {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&v) {
            let _ = session.insert(k, v);
        }
    }
}

/// Signs `user` in from `device`; `second_factor_at` when a code was just entered.
pub fn sign_in(
    session: &Session,
    user: Uuid,
    device: &Device,
    second_factor_at: Option<chrono::DateTime<chrono::Utc>>,
) {
    sign_in_bare(session, user);
    let _ = session.insert(
        USER_AGENT,
        device.user_agent.chars().take(300).collect::<String>(),
    );
    let _ = session.insert(IP, &device.ip);
    if let Some(at) = second_factor_at {
        let _ = session.insert(SECOND_FACTOR_AT, at);
    }
}

/// The password was right; the code is asked next. The session holds no signed-in user
/// until then (a new id, nothing else).
pub fn await_code(session: &Session, pending: &Pending) {
    session.clear();
    session.renew();
    let _ = session.insert(PENDING, pending);
    let _ = session.insert(CSRF, random_token());
}

pub fn pending(session: &Session) -> Option<Pending> {
    session.get::<Pending>(PENDING).ok().flatten()
}

/// A code was just entered for a sensitive action.
pub fn passed_second_factor(session: &Session, at: chrono::DateTime<chrono::Utc>) {
    let _ = session.insert(SECOND_FACTOR_AT, at);
}

pub fn second_factor_at(session: &Session) -> Option<chrono::DateTime<chrono::Utc>> {
    session.get(SECOND_FACTOR_AT).ok().flatten()
}

/// The secret being set up on this session (made on first view of the set-up page).
pub fn setup_secret(session: &Session) -> Option<String> {
    session.get(SETUP_SECRET).ok().flatten()
}

pub fn set_setup_secret(session: &Session, secret: Option<&str>) {
    match secret {
        Some(s) => {
            let _ = session.insert(SETUP_SECRET, s);
        }
        None => {
            session.remove(SETUP_SECRET);
        }
    }
}

/// This session's id as its row knows it.
pub fn session_id(session: &Session) -> Option<Uuid> {
    session.get(SID).ok().flatten()
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
fn sign_in_bare(session: &Session, user: Uuid) {
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
    // The session's id is read with it, not stored: it does not count.
    if session.entries().keys().all(|k| k == SID) {
        session.purge();
    }
    flash
}
