//! Login As: a partner user signs in as one of its customer's users, on an active
//! registration in management mode, for at most `LOGIN_AS_MINUTES` (60). Partner admins may;
//! members only when an admin allowed it. The start, the end and every refusal are audited
//! with both names, and the customer's admins are emailed each time. The web layer keeps the
//! marker in the session (shared by every instance through the session store).
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    Core, Fault,
};
use crate::{
    domain::{PartnerId, RegistrationId, Role, Status, UserId, UserKind},
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
    let refusal = if !p.active {
        Some("Your company is suspended: Login As is not available.".to_string())
    } else if r.status != Status::Active {
        Some("Login As works only for an active customer.".into())
    } else if !r.management_mode {
        Some(
            "This customer is not in management mode: Login As is not available. Management \
             mode is set when the customer is registered."
                .into(),
        )
    } else if by.role != Role::Admin && !p.members_login_as {
        Some("Only your company's admins may use Login As (an admin can allow members in the company's settings).".into())
    } else if target.kind != UserKind::Customer || !target.active {
        Some("This user is not active: Login As is not available.".into())
    } else {
        None
    };
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

/// Ends a Login As (the partner user returned, or its time ran out): audited with both names.
#[tracing::instrument(skip(core, by, whom))]
pub async fn end(
    core: &Core,
    by: &User,
    whom: &User,
    partner: PartnerId,
    account: Uuid,
    registration: Uuid,
    expired: bool,
) -> Result<(), LoginAsError> {
    audit::record(
        &core.db.write,
        core.now(),
        &Actor::user(by),
        "login_as.ended",
        About::registration(partner.uuid(), account, registration),
        &format!(
            "{} stopped acting as {}{}",
            by.label(),
            whom.label(),
            if expired { " (its time ran out)" } else { "" }
        ),
    )
    .await?;
    Ok(())
}
