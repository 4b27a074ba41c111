//! Two-factor sign-in by TOTP (RFC 6238): enrolment with a QR code drawn on the server,
//! checking a code at sign-in and for sensitive actions (each code works once, wrong codes
//! are throttled like passwords and audited), ten single-use recovery codes stored as
//! SHA-256, turning it off where it is optional, and staff's reset with a reason.
use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use totp_rs::{Algorithm, Builder, Secret, Totp};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    views::User,
    Core, Fault,
};
use crate::{
    domain::{
        two_factor::{self as rule, CodeInput, CodeRefusal},
        UserId,
    },
    email::{messages, outbox},
    entities::{partners, recovery_codes, users},
    security::{throttle, tokens::hash_token},
    services::user_sessions::revoke_all as revoke_user_sessions,
};

/// The name authenticator apps show above the code.
const ISSUER: &str = "Partner Portal";

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// Not a code at all (shown next to the field).
    #[error("{0}")]
    Invalid(String),
    #[error("{}", .0.message())]
    Refused(CodeRefusal),
    #[error("Too many wrong codes. Wait {minutes} minutes and try again.")]
    Throttled { minutes: i64 },
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(CodeError);

/// What the set-up page shows: the secret (for typing into an app), the `otpauth://` link and
/// its QR code as SVG.
pub struct Enrolment {
    pub secret: String,
    pub url: String,
    pub qr_svg: String,
}

fn totp(secret_b32: &str, email: &str) -> Result<Totp, Fault> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|e| Fault::from(anyhow::anyhow!("stored TOTP secret: {e:?}")))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(email.replace(':', ""))
        .build()
        .map_err(|e| Fault::from(anyhow::anyhow!("TOTP: {e:?}")))
}

/// A new random secret (160 bits, as RFC 4226 recommends), base32.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

/// The code an authenticator app shows for `secret_b32` at `at` (the demo's command line and
/// the tests compute codes with it).
pub fn code_at(secret_b32: &str, at: DateTime<Utc>) -> Result<String, Fault> {
    Ok(totp(secret_b32, "user")?
        .generate(at.timestamp().max(0) as u64)
        .to_string())
}

/// What the set-up page shows for `secret_b32` (kept in the session until confirmed).
pub fn enrolment(secret_b32: &str, email: &str) -> Result<Enrolment, Fault> {
    let t = totp(secret_b32, email)?;
    let url = t
        .to_url()
        .map_err(|e| Fault::from(anyhow::anyhow!("TOTP url: {e:?}")))?;
    let qr = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| Fault::from(anyhow::anyhow!("QR code: {e}")))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(Enrolment {
        secret: secret_b32.to_string(),
        url,
        qr_svg,
    })
}

fn throttle_key(user: Uuid) -> String {
    format!("2fa:{user}")
}

fn fault(e: impl Into<anyhow::Error>) -> Fault {
    Fault::from(e.into())
}

/// Refuses while the user's or the address's wrong codes have reached the limit.
async fn refuse_if_throttled(core: &Core, user: Uuid, ip: &str) -> Result<(), CodeError> {
    let r = &core.rules;
    let now = core.now();
    for (key, limit) in [
        (throttle_key(user), r.throttle_account_limit),
        (throttle::ip_key(ip), r.throttle_ip_limit),
    ] {
        if let Some(until) =
            throttle::locked_until(&core.db.read, now, &key, limit, r.throttle_window).await?
        {
            return Err(CodeError::Throttled {
                minutes: ((until - now).num_seconds() + 59) / 60,
            });
        }
    }
    Ok(())
}

/// Counts the wrong code against the user and the address, and records the attempt.
async fn refused(
    core: &Core,
    user: &users::Model,
    ip: &str,
    why: CodeRefusal,
    during: &str,
) -> Result<CodeError, Fault> {
    let now = core.now();
    let txn = core.db.begin().await?;
    throttle::record_failure(
        &txn,
        now,
        &throttle_key(user.id),
        core.rules.throttle_window,
    )
    .await?;
    throttle::record_failure(&txn, now, &throttle::ip_key(ip), core.rules.throttle_window).await?;
    audit::record(
        &txn,
        now,
        &Actor::user(&user.clone().into()),
        "user.two_factor_refused",
        About::partner(user.partner_id, Some(user.id)),
        &format!("{during}: {} (from {ip})", why.audit_reason()),
    )
    .await?;
    txn.commit().await?;
    Ok(CodeError::Refused(why))
}

/// Accepts the code once: the step must be later than the last one accepted, written with a
/// guard so that two requests with the same code cannot both pass.
async fn accept_step(
    conn: &impl ConnectionTrait,
    user: Uuid,
    step: u64,
) -> Result<bool, sea_orm::DbErr> {
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    let res = users::Entity::update_many()
        .col_expr(users::Column::TotpLastStep, Expr::value(step))
        .filter(users::Column::Id.eq(user))
        .filter(
            Condition::any()
                .add(users::Column::TotpLastStep.is_null())
                .add(users::Column::TotpLastStep.lt(step)),
        )
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Checks a code typed by `user_id` (an app's code or a recovery code), at sign-in or for a
/// sensitive action (`during` names which, for the audit log).
#[tracing::instrument(skip(core, raw))]
pub async fn check(
    core: &Core,
    user_id: UserId,
    raw: &str,
    ip: &str,
    during: &str,
) -> Result<(), CodeError> {
    let input = CodeInput::parse(raw).map_err(|e| CodeError::Invalid(e.0))?;
    refuse_if_throttled(core, user_id.uuid(), ip).await?;
    let user = users::Entity::find_by_id(user_id.uuid())
        .one(&core.db.write)
        .await?
        .ok_or(CodeError::Refused(CodeRefusal::NotEnrolled))?;
    let Some(secret) = user
        .totp_secret
        .clone()
        .filter(|_| user.totp_enabled_at.is_some())
    else {
        return Err(refused(core, &user, ip, CodeRefusal::NotEnrolled, during).await?);
    };
    let now = core.now();
    let outcome = match input {
        CodeInput::Totp(code) => {
            match totp(&secret, &user.email)?.check(&code, now.timestamp().max(0) as u64) {
                Some(step) if rule::accepts_step(step, user.totp_last_step) => {
                    if accept_step(&core.db.write, user.id, step).await? {
                        Ok(None)
                    } else {
                        Err(CodeRefusal::Replayed)
                    }
                }
                Some(_) => Err(CodeRefusal::Replayed),
                None => Err(CodeRefusal::Wrong),
            }
        }
        CodeInput::Recovery(code) => use_recovery_code(core, &user, &code).await?,
    };
    match outcome {
        Err(why) => Err(refused(core, &user, ip, why, during).await?),
        Ok(recovery_left) => {
            let txn = core.db.begin().await?;
            throttle::clear(&txn, &throttle_key(user.id)).await?;
            if let Some(left) = recovery_left {
                audit::record(
                    &txn,
                    now,
                    &Actor::user(&user.clone().into()),
                    "user.recovery_code_used",
                    About::partner(user.partner_id, Some(user.id)),
                    &format!("{during}; {left} recovery codes left"),
                )
                .await?;
                tell(
                    &txn,
                    core,
                    &user,
                    &format!(
                        "A recovery code was used to sign in to your account. You have {left} \
                         left; make new ones on your security page when you run low."
                    ),
                )
                .await?;
            }
            core.commit(txn).await?;
            Ok(())
        }
    }
}

/// Uses up a recovery code: `Ok(Some(left))` when it was unused (marked used with a guard),
/// a refusal when it was used already or is not one of the user's.
async fn use_recovery_code(
    core: &Core,
    user: &users::Model,
    code: &str,
) -> Result<Result<Option<u64>, CodeRefusal>, Fault> {
    let hash = hash_token(code);
    let Some(row) = recovery_codes::Entity::find()
        .filter(recovery_codes::Column::UserId.eq(user.id))
        .filter(recovery_codes::Column::CodeHash.eq(hash))
        .one(&core.db.write)
        .await?
    else {
        return Ok(Err(CodeRefusal::Wrong));
    };
    let used = recovery_codes::Entity::update_many()
        .col_expr(recovery_codes::Column::UsedAt, Expr::value(core.now()))
        .filter(recovery_codes::Column::Id.eq(row.id))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .exec(&core.db.write)
        .await?;
    if used.rows_affected != 1 {
        return Ok(Err(CodeRefusal::RecoveryUsed));
    }
    Ok(Ok(Some(recovery_left(&core.db.write, user.id).await?)))
}

/// How many unused recovery codes the user has.
pub async fn recovery_left(conn: &impl ConnectionTrait, user: Uuid) -> Result<u64, sea_orm::DbErr> {
    recovery_codes::Entity::find()
        .filter(recovery_codes::Column::UserId.eq(user))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .count(conn)
        .await
}

/// Ten new recovery codes in place of the old ones; returned in clear this once.
async fn replace_recovery_codes(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user: Uuid,
) -> Result<Vec<String>, sea_orm::DbErr> {
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user))
        .exec(conn)
        .await?;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let codes: Vec<String> = (0..rule::RECOVERY_CODES)
        .map(|_| {
            (0..10)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect()
        })
        .collect();
    recovery_codes::Entity::insert_many(codes.iter().map(|c| recovery_codes::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user),
        code_hash: Set(hash_token(c)),
        created_at: Set(now),
        used_at: Set(None),
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(codes.iter().map(|c| rule::show_recovery(c)).collect())
}

/// Emails the user that something changed about their second factor.
async fn tell(
    conn: &impl ConnectionTrait,
    core: &Core,
    user: &users::Model,
    what: &str,
) -> Result<(), Fault> {
    let msg = messages::SecurityNotice {
        name: user.name.clone(),
        what: what.to_string(),
        security_url: core.links.url("/account/security"),
    }
    .render(&user.email)
    .map_err(fault)?;
    outbox::enqueue(conn, msg).await?;
    Ok(())
}

/// Turns two-factor sign-in on with `secret_b32` once the user proved their app has it (a
/// current code); returns the ten recovery codes to show once.
#[tracing::instrument(skip(core, secret_b32, raw))]
pub async fn confirm(
    core: &Core,
    user: &User,
    secret_b32: &str,
    raw: &str,
    ip: &str,
) -> Result<Vec<String>, CodeError> {
    let code = match CodeInput::parse(raw).map_err(|e| CodeError::Invalid(e.0))? {
        CodeInput::Totp(c) => c,
        CodeInput::Recovery(_) => {
            return Err(CodeError::Invalid(
                "Enter the 6-digit code your authenticator app shows now.".into(),
            ))
        }
    };
    refuse_if_throttled(core, user.id.uuid(), ip).await?;
    let row = users::Entity::find_by_id(user.id.uuid())
        .one(&core.db.write)
        .await?
        .ok_or_else(|| fault(anyhow::anyhow!("user gone")))?;
    let now = core.now();
    let Some(step) = totp(secret_b32, &user.email)?.check(&code, now.timestamp().max(0) as u64)
    else {
        return Err(refused(core, &row, ip, CodeRefusal::Wrong, "set-up").await?);
    };
    let txn = core.db.begin().await?;
    users::Entity::update(users::ActiveModel {
        id: Set(row.id),
        totp_secret: Set(Some(secret_b32.to_string())),
        totp_enabled_at: Set(Some(now)),
        totp_last_step: Set(Some(i64::try_from(step).unwrap_or(i64::MAX))),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let codes = replace_recovery_codes(&txn, now, row.id).await?;
    throttle::clear(&txn, &throttle_key(row.id)).await?;
    audit::record(
        &txn,
        now,
        &Actor::user(user),
        "user.two_factor_enabled",
        About::partner(row.partner_id, Some(row.id)),
        "",
    )
    .await?;
    tell(
        &txn,
        core,
        &row,
        "Two-factor sign-in was turned on for your account. From now on you sign in with your \
         password and a code from your authenticator app.",
    )
    .await?;
    core.commit(txn).await?;
    Ok(codes)
}

/// New recovery codes in place of the old ones (the caller asked for a fresh code first).
#[tracing::instrument(skip(core))]
pub async fn renew_recovery_codes(core: &Core, user: &User) -> Result<Vec<String>, Fault> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let codes = replace_recovery_codes(&txn, now, user.id.uuid()).await?;
    audit::record(
        &txn,
        now,
        &Actor::user(user),
        "user.recovery_codes_renewed",
        About::partner(user.partner_id.map(|p| p.uuid()), Some(user.id.uuid())),
        "",
    )
    .await?;
    core.commit(txn).await?;
    Ok(codes)
}

/// Whether the user's second factor is required now (read fresh: the partner's setting may
/// have changed).
pub async fn required_of(core: &Core, user: &User) -> Result<bool, Fault> {
    let all = match user.partner_id {
        Some(p) => partners::Entity::find_by_id(p.uuid())
            .one(&core.db.read)
            .await?
            .is_some_and(|p| p.require_two_factor),
        None => false,
    };
    Ok(rule::required(user.kind, user.role, all))
}

#[derive(Debug, thiserror::Error)]
pub enum TurnOffError {
    #[error(
        "Two-factor sign-in is required for your user: it cannot be turned off. Set it up on a \
         new phone by asking the provider's staff to reset it."
    )]
    Required,
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(TurnOffError);

/// Removes the second factor where it is optional; every session of the user ends.
#[tracing::instrument(skip(core))]
pub async fn turn_off(core: &Core, user: &User) -> Result<(), TurnOffError> {
    if required_of(core, user).await? {
        return Err(TurnOffError::Required);
    }
    let txn = core.db.begin().await?;
    let row = clear(&txn, user.id.uuid()).await?;
    audit::record(
        &txn,
        core.now(),
        &Actor::user(user),
        "user.two_factor_disabled",
        About::partner(row.partner_id, Some(row.id)),
        "",
    )
    .await?;
    tell(
        &txn,
        core,
        &row,
        "Two-factor sign-in was turned off for your account, and every session was signed out.",
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Clears the factor and the recovery codes and signs the user out everywhere.
async fn clear(conn: &impl ConnectionTrait, user: Uuid) -> Result<users::Model, Fault> {
    let row = users::Entity::update(users::ActiveModel {
        id: Set(user),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user))
        .exec(conn)
        .await?;
    revoke_user_sessions(conn, user).await?;
    Ok(row)
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error(
        "Say why the second factor is reset (it is kept in the audit log and sent to the user)."
    )]
    NoReason,
    #[error("Reset your own second factor from your security page, not here.")]
    Own,
    #[error("This user has no second factor to reset.")]
    NotEnrolled,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(ResetError);

/// Staff (or the `reset-two-factor` command) reset a user's second factor (a lost phone): the
/// factor and recovery codes go, every session of the user ends, the reason is audited and
/// emailed to the user. A user for whom it is required sets it up again at their next sign-in.
#[tracing::instrument(skip(core, actor, reason))]
pub async fn reset_by_staff(
    core: &Core,
    actor: &Actor,
    target: UserId,
    reason: &str,
) -> Result<(), ResetError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ResetError::NoReason);
    }
    if actor.user_id == Some(target.uuid()) {
        return Err(ResetError::Own);
    }
    let txn = core.db.begin().await?;
    let row = users::Entity::find_by_id(target.uuid())
        .one(&txn)
        .await?
        .ok_or(ResetError::NotFound)?;
    if row.totp_enabled_at.is_none() {
        return Err(ResetError::NotEnrolled);
    }
    let row = clear(&txn, row.id).await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        "user.two_factor_reset",
        About::partner(row.partner_id, Some(row.id)),
        &format!("{}: {reason}", row.email),
    )
    .await?;
    tell(
        &txn,
        core,
        &row,
        &format!(
            "The provider's staff reset the two-factor sign-in of your account ({reason}). \
             Every session was signed out; at your next sign-in you set it up again."
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Enrols `user_id` with a known secret and returns nothing else (the demo data: its secret is
/// printed for an authenticator app). Recovery codes are made as for anyone.
pub async fn enrol_with_secret(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: Uuid,
    secret_b32: &str,
) -> Result<Vec<String>, Fault> {
    totp(secret_b32, "demo")?;
    users::Entity::update(users::ActiveModel {
        id: Set(user_id),
        totp_secret: Set(Some(secret_b32.to_string())),
        totp_enabled_at: Set(Some(now)),
        totp_last_step: Set(None),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(replace_recovery_codes(conn, now, user_id).await?)
}
