//! The signed-in sessions a user can see and end (browser, address, when signed in, last
//! seen), and the browsers they have signed in from: a sign-in from a new one is emailed.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    views::User,
    Core, Fault,
};
use crate::{
    email::{messages, outbox},
    entities::{known_browsers, sessions},
    security::tokens::hash_token,
};

/// "Chrome on Linux", from a User-Agent header (woothee's parser); "Unknown browser" when it
/// says nothing useful.
pub fn browser_label(user_agent: &str) -> String {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    match parsed {
        Some(r) if r.name != "UNKNOWN" => {
            if r.os != "UNKNOWN" {
                format!("{} on {}", r.name, r.os)
            } else {
                r.name.to_string()
            }
        }
        _ => "Unknown browser".into(),
    }
}

/// One signed-in session of the user.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: Uuid,
    pub browser: String,
    pub ip: String,
    pub signed_in_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The session this page was asked from.
    pub current: bool,
}

/// The user's live sessions, the most recently seen first.
pub async fn list(
    core: &Core,
    user: &User,
    current: Option<Uuid>,
) -> Result<Vec<SessionRow>, Fault> {
    let rows = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.id.uuid()))
        .filter(sessions::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(sessions::Column::LastSeenAt)
        .all(&core.db.read)
        .await?;
    let mut out: Vec<SessionRow> = rows
        .into_iter()
        .filter_map(|r| {
            let id = r.id?;
            Some(SessionRow {
                id,
                browser: browser_label(r.user_agent.as_deref().unwrap_or("")),
                ip: r.ip.unwrap_or_else(|| "unknown".into()),
                signed_in_at: r.created_at,
                last_seen_at: r.last_seen_at.or(r.created_at),
                current: Some(id) == current,
            })
        })
        .collect();
    out.sort_by_key(|r| (!r.current, std::cmp::Reverse(r.last_seen_at)));
    Ok(out)
}

/// Ends the user's session `id` (never another user's); `false` when there was none.
pub async fn end(core: &Core, user: &User, id: Uuid) -> Result<bool, Fault> {
    let txn = core.db.begin().await?;
    let gone = sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user.id.uuid()))
        .filter(sessions::Column::Id.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    if gone > 0 {
        audit::record(
            &txn,
            core.now(),
            &Actor::user(user),
            "user.session_ended",
            About::partner(user.partner_id.map(|p| p.uuid()), Some(user.id.uuid())),
            "one session signed out from the security page",
        )
        .await?;
    }
    core.commit(txn).await?;
    Ok(gone > 0)
}

/// Ends every session of the user but `keep`; how many ended.
pub async fn end_others(core: &Core, user: &User, keep: Uuid) -> Result<u64, Fault> {
    let txn = core.db.begin().await?;
    let gone = sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user.id.uuid()))
        .filter(
            sea_orm::Condition::any()
                .add(sessions::Column::Id.ne(keep))
                .add(sessions::Column::Id.is_null()),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        core.now(),
        &Actor::user(user),
        "user.sessions_ended",
        About::partner(user.partner_id.map(|p| p.uuid()), Some(user.id.uuid())),
        &format!("{gone} other sessions signed out from the security page"),
    )
    .await?;
    core.commit(txn).await?;
    Ok(gone)
}

/// Remembers the browser (by its browser cookie) for the user; when the user has signed in
/// before and never from it, emails them. The very first sign-in is not news.
pub async fn note_browser(
    core: &Core,
    user: &User,
    browser_token: &str,
    user_agent: &str,
    ip: &str,
) -> Result<(), Fault> {
    let now = core.now();
    let hash = hash_token(browser_token);
    let txn = core.db.begin().await?;
    let known = known_browsers::Entity::find()
        .filter(known_browsers::Column::UserId.eq(user.id.uuid()))
        .all(&txn)
        .await?;
    if known.iter().any(|k| k.browser_hash == hash) {
        known_browsers::Entity::update_many()
            .col_expr(known_browsers::Column::LastSeenAt, Expr::value(now))
            .filter(known_browsers::Column::UserId.eq(user.id.uuid()))
            .filter(known_browsers::Column::BrowserHash.eq(hash))
            .exec(&txn)
            .await?;
    } else {
        let inserted = known_browsers::Entity::insert(known_browsers::ActiveModel {
            user_id: Set(user.id.uuid()),
            browser_hash: Set(hash),
            user_agent: Set(user_agent.chars().take(300).collect()),
            first_seen_at: Set(now),
            last_seen_at: Set(now),
        })
        // Two sign-ins from one new browser at once: the second finds the row, and tells once.
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                known_browsers::Column::UserId,
                known_browsers::Column::BrowserHash,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if !known.is_empty() && inserted > 0 {
            let msg = messages::NewSignIn {
                name: user.name.clone(),
                browser: browser_label(user_agent),
                ip: ip.to_string(),
                at: now.format("%-d %B %Y, %H:%M UTC").to_string(),
                security_url: core.links.url("/account/security"),
                reset_url: core.links.url("/password/forgot"),
            }
            .render(&user.email)?;
            outbox::enqueue(&txn, msg).await?;
        }
    }
    core.commit(txn).await?;
    Ok(())
}

/// Signs a user out everywhere (password change, deactivation).
pub async fn revoke_all(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<(), sea_orm::DbErr> {
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
