//! Signing in (with throttling and the same answer for unknown email and wrong password),
//! password reset by email, and password change. Changing a password signs the user out
//! everywhere.
use super::Core;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    tokens::{self, LinkProblem, NewToken, Purpose},
    views::User,
};
use crate::{
    domain::{Email, NewPassword, Role, UserKind},
    email::{messages, outbox},
    entities::{partners, users},
    security::throttle,
    services::user_sessions::revoke_all as revoke_user_sessions,
};

/// A new user's row: active, never signed in, without a second factor. A customer user's
/// account is set by the caller (`users::ActiveModel { account_id: …, ..new_user(…) }`).
pub fn new_user(
    now: chrono::DateTime<chrono::Utc>,
    email: &str,
    name: &str,
    kind: UserKind,
    partner: Option<Uuid>,
    role: Role,
    password_hash: &str,
) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.into()),
        name: Set(name.into()),
        password_hash: Set(password_hash.into()),
        kind: Set(kind),
        partner_id: Set(partner),
        account_id: Set(None),
        role: Set(role),
        active: Set(true),
        created_at: Set(now),
        last_sign_in_at: Set(None),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("Email or password is incorrect.")]
    BadCredentials,
    #[error("Too many failed sign-in attempts. Wait {minutes} minutes, or reset your password.")]
    Throttled { minutes: i64 },
    #[error(
        "This user has been deactivated. Ask an admin of your organisation to reactivate you."
    )]
    Deactivated,
    #[error("Your partner organisation is suspended. Contact the provider's partner team.")]
    PartnerSuspended,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(SignInError);

/// A user by id, as the faces see it.
pub async fn user_by_id(
    core: &Core,
    id: crate::domain::UserId,
) -> Result<Option<User>, super::Fault> {
    Ok(users::Entity::find_by_id(id.uuid())
        .one(&core.db.read)
        .await?
        .map(Into::into))
}

pub async fn find_user_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>, sea_orm::DbErr> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email.trim().to_lowercase()))
        .one(conn)
        .await
}

/// Checks the credentials. Every failure counts against the account and the client address.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    core: &Core,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<User, SignInError> {
    let cfg = &core.rules;
    let acct = throttle::account_key(email);
    let ipk = throttle::ip_key(ip);
    let now = core.now();
    for (key, limit) in [
        (&acct, cfg.throttle_account_limit),
        (&ipk, cfg.throttle_ip_limit),
    ] {
        if let Some(until) =
            throttle::locked_until(&core.db.read, now, key, limit, cfg.throttle_window).await?
        {
            let minutes = ((until - now).num_seconds() + 59) / 60;
            return Err(SignInError::Throttled { minutes });
        }
    }
    let user = find_user_by_email(&core.db.read, email).await?;
    let ok = core
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    let Some(user) = user.filter(|_| ok) else {
        let txn = core.db.begin().await?;
        throttle::record_failure(&txn, now, &acct, cfg.throttle_window).await?;
        throttle::record_failure(&txn, now, &ipk, cfg.throttle_window).await?;
        txn.commit().await?;
        return Err(SignInError::BadCredentials);
    };
    if !user.active {
        return Err(SignInError::Deactivated);
    }
    if let Some(pid) = user.partner_id {
        let partner = partners::Entity::find_by_id(pid).one(&core.db.read).await?;
        if !partner.is_some_and(|p| p.active) {
            return Err(SignInError::PartnerSuspended);
        }
    }
    let txn = core.db.begin().await?;
    throttle::clear(&txn, &acct).await?;
    users::Entity::update(users::ActiveModel {
        id: Set(user.id),
        last_sign_in_at: Set(Some(now)),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(user.into())
}

/// Sends a reset link when the address belongs to an active user; does nothing otherwise, so
/// the page shown is the same either way.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(core: &Core, email: &Email) -> Result<(), super::Fault> {
    let txn = core.db.begin().await?;
    if let Some(user) = find_user_by_email(&txn, email.as_str()).await? {
        if user.active {
            let token = tokens::issue(
                &txn,
                NewToken {
                    at: core.now(),
                    purpose: Purpose::PasswordReset,
                    email: email.as_str(),
                    user_id: Some(user.id),
                    partner_id: user.partner_id,
                    subject_id: None,
                    account_id: None,
                    role: None,
                    ttl: core.links.reset_ttl,
                },
            )
            .await?;
            let msg = messages::PasswordReset {
                name: user.name.clone(),
                link: core.links.url(&format!("/password/reset/{token}")),
                minutes: core.links.reset_ttl.num_minutes(),
            }
            .render(&user.email)?;
            outbox::enqueue(&txn, msg).await?;
        }
    }
    core.commit(txn).await?;
    Ok(())
}

#[tracing::instrument(skip_all, level = "debug")]
pub async fn reset_link_status(
    core: &Core,
    token: &str,
) -> Result<Result<(), LinkProblem>, sea_orm::DbErr> {
    Ok(
        tokens::find_usable(&core.db.read, Purpose::PasswordReset, token, core.now())
            .await?
            .map(|_| ()),
    )
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(ResetError);

/// Sets the new password, uses up the link and signs the user out everywhere.
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    core: &Core,
    token: &str,
    password: &NewPassword,
) -> Result<User, ResetError> {
    let hash = core.hasher.hash(password.expose()).await?;
    let txn = core.db.begin().await?;
    let link = tokens::find_usable(&txn, Purpose::PasswordReset, token, core.now()).await??;
    if !tokens::consume(&txn, link.id, core.now()).await? {
        return Err(LinkProblem::Used.into());
    }
    let user_id = link.user_id.ok_or(LinkProblem::Unknown)?;
    let user = set_password(&txn, core, user_id, hash).await?;
    audit::record(
        &txn,
        core.now(),
        &Actor::user(&user.clone().into()),
        "user.password_reset",
        About::partner(user.partner_id, Some(user.id)),
        "",
    )
    .await?;
    core.commit(txn).await?;
    Ok(user.into())
}

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error("The current password is not correct.")]
    WrongCurrent,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(ChangePasswordError);

/// Changes the password of a signed-in user; every session of theirs ends.
#[tracing::instrument(skip_all)]
pub async fn change_password(
    core: &Core,
    user: &User,
    current: &str,
    new: &NewPassword,
) -> Result<(), ChangePasswordError> {
    // The hash is read here: the signed-in user's record does not carry it.
    let stored = users::Entity::find_by_id(user.id.uuid())
        .one(&core.db.read)
        .await?
        .map(|u| u.password_hash);
    if !core.hasher.verify(current, stored.as_deref()).await? {
        return Err(ChangePasswordError::WrongCurrent);
    }
    let hash = core.hasher.hash(new.expose()).await?;
    let txn = core.db.begin().await?;
    set_password(&txn, core, user.id.uuid(), hash).await?;
    audit::record(
        &txn,
        core.now(),
        &Actor::user(user),
        "user.password_changed",
        About::partner(user.partner_id.map(|p| p.uuid()), Some(user.id.uuid())),
        "",
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

async fn set_password(
    conn: &impl ConnectionTrait,
    core: &Core,
    user_id: Uuid,
    hash: String,
) -> Result<users::Model, super::Fault> {
    let user = users::Entity::update(users::ActiveModel {
        id: Set(user_id),
        password_hash: Set(hash),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    revoke_user_sessions(conn, user_id).await?;
    let msg = messages::PasswordChanged {
        name: user.name.clone(),
        reset_url: core.links.url("/password/forgot"),
    }
    .render(&user.email)?;
    outbox::enqueue(conn, msg).await?;
    Ok(user)
}
