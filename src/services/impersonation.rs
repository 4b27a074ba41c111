//! Login As: a partner user signs in as one of its customer's users, on an active
//! registration in management mode, for at most `LOGIN_AS_MINUTES` (60). Partner admins may;
//! members only when an admin allowed it. The start, the end and every refusal are audited
//! with both names, and the customer's admins are emailed each time. The web layer keeps the
//! marker in the session (shared by every instance through the session store).
use crate::domain::two_factor::StepUp;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    Core, Fault,
};
use crate::{
    domain::{
        login_as::{lapse, Grounds, Lapse},
        PartnerId, RegistrationId, Role, Status, UserId, UserKind,
    },
    email::{messages, outbox},
    entities::{accounts, partners, registrations, users},
    services::views::User,
};

#[derive(Debug, thiserror::Error)]
pub enum LoginAsError {
    #[error("not found")]
    NotFound,
    /// Refused, with the reason shown to the partner user.
    #[error("{0}")]
    Refused(String),
    /// Allowed, once the partner user enters a fresh code (or sets up a second factor).
    #[error("a fresh second-factor code is needed")]
    NeedsCode(StepUp),
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(LoginAsError);

/// A Login As that has started.
#[derive(Debug, Clone)]
pub struct Started {
    pub user: Uuid,
    pub account: Uuid,
    pub registration: Uuid,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// "Ann Lee (Acme)".
    pub whom: String,
    pub company: String,
}

/// Starts Login As: `by` (a partner user of `partner`) as `user` of the registration's account.
#[tracing::instrument(skip(core, by))]
pub async fn start(
    core: &Core,
    by: &User,
    partner: PartnerId,
    reg: RegistrationId,
    user: UserId,
    step_up: StepUp,
) -> Result<Started, LoginAsError> {
    let now = core.now();
    let actor = Actor::user(by);
    let txn = core.db.begin().await?;
    let r = registrations::Entity::find_by_id(reg.uuid())
        .filter(registrations::Column::PartnerId.eq(partner.uuid()))
        .one(&txn)
        .await?
        .ok_or(LoginAsError::NotFound)?;
    let p = partners::Entity::find_by_id(partner.uuid())
        .one(&txn)
        .await?
        .ok_or(LoginAsError::NotFound)?;
    let target = users::Entity::find_by_id(user.uuid())
        .filter(users::Column::AccountId.eq(r.account_id))
        .one(&txn)
        .await?
        .ok_or(LoginAsError::NotFound)?;
    // The same rule every request of the Login As is held to while it runs.
    let refusal = lapse(&Grounds {
        by_active: by.active,
        by_admin: by.role == Role::Admin,
        partner_active: p.active,
        members_allowed: p.members_login_as,
        registration_active: r.status == Status::Active,
        management_mode: r.management_mode,
        target_active: target.kind == UserKind::Customer && target.active,
    })
    .map(|l| l.refusal().to_string());
    let about = About::registration(r.partner_id, r.account_id, r.id);
    let whom = format!("{} <{}>", target.name, target.email);
    if let Some(reason) = refusal {
        audit::record(
            &txn,
            now,
            &actor,
            "login_as.refused",
            about,
            &format!("Login As {whom} refused: {reason}"),
        )
        .await?;
        core.commit(txn).await?;
        return Err(LoginAsError::Refused(reason));
    }
    // Allowed on its grounds; acting as a customer also needs a code from the last minutes.
    if step_up != StepUp::Fresh {
        return Err(LoginAsError::NeedsCode(step_up));
    }
    let until = now + core.rules.login_as;
    let account = accounts::Entity::find_by_id(r.account_id)
        .one(&txn)
        .await?
        .ok_or(LoginAsError::NotFound)?;
    audit::record(
        &txn,
        now,
        &actor,
        "login_as.started",
        about,
        &format!(
            "{} signed in as {whom} until {}",
            actor.label,
            until.format("%H:%M UTC")
        ),
    )
    .await?;
    // The customer's admins hear of it, each time.
    let admins = users::Entity::find()
        .filter(users::Column::AccountId.eq(r.account_id))
        .filter(users::Column::Role.eq(Role::Admin))
        .filter(users::Column::Active.eq(true))
        .all(&txn)
        .await?;
    let msg = messages::LoginAsNotice {
        partner: p.company_name.clone(),
        by: by.name.clone(),
        whom: target.name.clone(),
        customer: account.company_name.clone(),
        at: now.format("%-d %b %Y, %H:%M UTC").to_string(),
        until: until.format("%H:%M UTC").to_string(),
    };
    for a in admins {
        outbox::enqueue(&txn, msg.render(&a.email)?).await?;
    }
    core.commit(txn).await?;
    Ok(Started {
        user: target.id,
        account: r.account_id,
        registration: r.id,
        since: now,
        until,
        whom: format!("{} ({})", target.name, account.company_name),
        company: account.company_name,
    })
}

/// Why a Login As ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndCause {
    /// The partner user chose Return.
    Returned,
    /// Its time ran out.
    Expired,
    /// A ground it stood on stopped holding.
    Lapsed(Lapse),
}

/// Ends a Login As: audited with both names (`whom` as the audit log names people) and why.
#[tracing::instrument(skip(core, by, whom))]
pub async fn end(
    core: &Core,
    by: &User,
    whom: &str,
    partner: PartnerId,
    account: Uuid,
    registration: Uuid,
    cause: EndCause,
) -> Result<(), LoginAsError> {
    audit::record(
        &core.db.write,
        core.now(),
        &Actor::user(by),
        "login_as.ended",
        About::registration(partner.uuid(), account, registration),
        &format!(
            "{} stopped acting as {whom}{}",
            by.label(),
            match cause {
                EndCause::Returned => String::new(),
                EndCause::Expired => " (its time ran out)".into(),
                EndCause::Lapsed(l) => format!(" (ended: {})", l.ended()),
            }
        ),
    )
    .await?;
    Ok(())
}
