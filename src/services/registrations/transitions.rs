//! The workflow's transitions. Each re-reads the registration in its transaction, asks the
//! state machine, saves the new status only if nobody changed it meanwhile, records the audit
//! event and queues the emails the transition implies, all in one commit.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};

use super::{
    add::send_confirmation, eligibility::recheck_in, load, load_for_partner, names,
    notifications::Parties, RegError,
};
use crate::{
    domain::{
        registration::{transition, Event, NotAllowed, Status},
        AccountId, NewPassword, PartnerId, RegistrationId,
    },
    email::messages::News,
    entities::{email_tokens, registrations, users},
    services::{
        audit::{self, About, Actor},
        tokens::{self, LinkProblem, Purpose},
        views::{Account, Partner, Registration},
        Core,
    },
};

/// Applies `event` to `reg` (re-read inside the transaction), saving the new status.
async fn apply(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    reg: &registrations::Model,
    event: Event,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<registrations::Model, RegError> {
    let from = reg.status;
    let to = transition(from, event)?;
    let mut row = registrations::ActiveModel {
        id: Set(reg.id),
        status: Set(to),
        updated_at: Set(now),
        ..Default::default()
    };
    match event {
        Event::CustomerConfirms => row.confirmed_at = Set(Some(now)),
        Event::StaffApproves => row.activated_at = Set(Some(now)),
        _ => {}
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason {
        row.reason = Set(Some(r.to_string()));
    }
    // Only one writer wins a transition: the update names the status it read.
    let res = registrations::Entity::update_many()
        .set(row)
        .filter(registrations::Column::Id.eq(reg.id))
        .filter(registrations::Column::Status.eq(from))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(NotAllowed { from, event }.into());
    }
    let detail = match reason {
        Some(r) => format!("{} → {}: {r}", from.label(), to.label()),
        None => format!("{} → {}", from.label(), to.label()),
    };
    audit::record(
        conn,
        now,
        actor,
        &format!("registration.{}", event.as_str()),
        About::registration(reg.partner_id, reg.account_id, reg.id),
        &detail,
    )
    .await?;
    load(conn, reg.id.into()).await
}

/// Ends every unused link of the registration.
async fn kill_links(
    conn: &impl ConnectionTrait,
    reg_id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    email_tokens::Entity::update_many()
        .col_expr(email_tokens::Column::UsedAt, Expr::value(now))
        .filter(email_tokens::Column::SubjectId.eq(reg_id))
        .filter(email_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// What the customer sees behind the confirmation link.
pub struct ConfirmationView {
    pub registration: Registration,
    pub partner: Partner,
    pub account: Account,
    /// The account's first user has no password yet (a new account made in the portal).
    pub needs_password: bool,
}

#[tracing::instrument(skip_all, level = "debug")]
pub async fn confirmation(core: &Core, token: &str) -> Result<ConfirmationView, RegError> {
    let now = core.now();
    let conn = &core.db.read;
    let link = match tokens::find_usable(conn, Purpose::RegistrationConfirm, token, now).await? {
        Ok(link) => link,
        Err(LinkProblem::Unknown) => return Err(LinkProblem::Unknown.into()),
        // A used or expired link: say where the request went, when it moved on.
        Err(problem) => return Err(moved_on(conn, token).await?.unwrap_or(problem.into())),
    };
    let reg = load(conn, subject(&link)?).await?;
    if reg.status != Status::PendingCustomer {
        return Err(moved_on(conn, token)
            .await?
            .unwrap_or(LinkProblem::Used.into()));
    }
    if reg.expires_at.is_some_and(|e| e <= now) {
        return Err(LinkProblem::Expired.into());
    }
    let (partner, account) = names(&core.db.read, &reg).await?;
    let needs_password = reg.new_account
        && users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::AccountId.eq(account.id))
            .filter(users::Column::PasswordHash.eq("!"))
            .into_tuple::<uuid::Uuid>()
            .one(&core.db.read)
            .await?
            .is_some();
    Ok(ConfirmationView {
        registration: reg.into(),
        partner: partner.into(),
        account: account.into(),
        needs_password,
    })
}

/// `Answered` with the request's status and partner, when the request behind the link is no
/// longer waiting for the customer.
async fn moved_on(conn: &impl ConnectionTrait, token: &str) -> Result<Option<RegError>, RegError> {
    let Some(id) = tokens::subject_of(conn, Purpose::RegistrationConfirm, token).await? else {
        return Ok(None);
    };
    let reg = load(conn, id.into()).await?;
    if reg.status == Status::PendingCustomer {
        return Ok(None);
    }
    let (partner, _) = names(conn, &reg).await?;
    Ok(Some(RegError::Answered {
        status: reg.status,
        partner: partner.company_name,
    }))
}

fn subject(link: &email_tokens::Model) -> Result<RegistrationId, LinkProblem> {
    link.subject_id.map(Into::into).ok_or(LinkProblem::Unknown)
}

/// The customer's answer through the emailed link: confirm (choosing a password when the
/// partner created the account) or decline.
#[tracing::instrument(skip_all, fields(confirm))]
pub async fn answer(
    core: &Core,
    token: &str,
    confirm: bool,
    password: Option<&NewPassword>,
    reason: &str,
) -> Result<Registration, RegError> {
    let hash = match password {
        Some(p) => Some(core.hasher.hash(p.expose()).await?),
        None => None,
    };
    let now = core.now();
    let txn = core.db.begin().await?;
    let link = tokens::find_usable(&txn, Purpose::RegistrationConfirm, token, now).await??;
    let reg = load(&txn, subject(&link)?).await?;
    if reg.expires_at.is_some_and(|e| e <= now) {
        return Err(LinkProblem::Expired.into());
    }
    if !tokens::consume(&txn, link.id, now).await? {
        return Err(LinkProblem::Used.into());
    }
    let (partner, account) = names(&txn, &reg).await?;
    let actor = Actor::system(&format!(
        "customer {} <{}>",
        account.company_name, account.primary_email
    ));
    let (reg, news) = if confirm {
        let reg = apply(&txn, now, &reg, Event::CustomerConfirms, &actor, None).await?;
        if let Some(hash) = hash {
            users::Entity::update_many()
                .col_expr(users::Column::PasswordHash, Expr::value(hash))
                .filter(users::Column::AccountId.eq(account.id))
                .filter(users::Column::Email.eq(account.primary_email.clone()))
                .exec(&txn)
                .await?;
        }
        (reg, News::Confirmed)
    } else {
        let event = Event::CustomerDeclines;
        (
            apply(&txn, now, &reg, event, &actor, Some(reason)).await?,
            News::Declined,
        )
    };
    let parties = Parties::of(&reg, &partner, &account, reason);
    parties.tell_partner(&txn, core, news).await?;
    core.commit(txn).await?;
    Ok(reg.into())
}

/// A new confirmation link for a pending request; the old link stops working.
#[tracing::instrument(skip_all, fields(partner = %partner_id, registration = %id))]
pub async fn resend(
    core: &Core,
    actor: &Actor,
    partner_id: PartnerId,
    id: RegistrationId,
) -> Result<Registration, RegError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let reg = load_for_partner(&txn, partner_id, id).await?;
    let reg = apply(&txn, now, &reg, Event::Resend, actor, None).await?;
    registrations::Entity::update_many()
        .col_expr(
            registrations::Column::ExpiresAt,
            Expr::value(now + core.links.confirm_ttl),
        )
        .filter(registrations::Column::Id.eq(reg.id))
        .exec(&txn)
        .await?;
    let (partner, account) = names(&txn, &reg).await?;
    send_confirmation(&txn, core, &partner, &account, &reg).await?;
    core.commit(txn).await?;
    Ok(reg.into())
}

#[tracing::instrument(skip_all, fields(partner = %partner_id, registration = %id))]
pub async fn cancel(
    core: &Core,
    actor: &Actor,
    partner_id: PartnerId,
    id: RegistrationId,
) -> Result<Registration, RegError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let reg = load_for_partner(&txn, partner_id, id).await?;
    let reg = apply(&txn, now, &reg, Event::PartnerCancels, actor, None).await?;
    kill_links(&txn, reg.id, now).await?;
    txn.commit().await?;
    Ok(reg.into())
}

/// Who ends an active relationship.
#[derive(Debug, Clone, Copy)]
pub enum Ender {
    Partner(PartnerId),
    Staff,
    Customer(AccountId),
}

#[tracing::instrument(skip(core, actor, reason))]
pub async fn end(
    core: &Core,
    actor: &Actor,
    by: Ender,
    id: RegistrationId,
    reason: &str,
) -> Result<Registration, RegError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let reg = load(&txn, id).await?;
    let event = match by {
        Ender::Partner(p) if p.uuid() == reg.partner_id => Event::PartnerEnds,
        Ender::Customer(a) if a.uuid() == reg.account_id => Event::CustomerEnds,
        Ender::Staff => Event::StaffEnds,
        _ => return Err(RegError::NotFound),
    };
    let reg = apply(&txn, now, &reg, event, actor, Some(reason)).await?;
    // The invitations the partner sent into the account end with the relationship.
    let revoked =
        crate::services::members::revoke_sent_by(&txn, reg.account_id, reg.partner_id, now).await?;
    if revoked > 0 {
        crate::services::audit::record(
            &txn,
            now,
            actor,
            "account_user.invitations_revoked",
            crate::services::audit::About::registration(reg.partner_id, reg.account_id, reg.id),
            &format!(
                "{revoked} pending invitation(s) from the partner revoked: the relationship ended"
            ),
        )
        .await?;
    }
    let (partner, account) = names(&txn, &reg).await?;
    let parties = Parties::of(&reg, &partner, &account, reason);
    parties.tell_partner(&txn, core, News::Ended).await?;
    if event == Event::CustomerEnds {
        parties.tell_staff(&txn, core, News::Ended).await?;
    } else {
        parties.tell_customer(&txn, core, News::Ended).await?;
    }
    core.commit(txn).await?;
    Ok(reg.into())
}

/// A user of the account who may not end its relationship (a member, or a partner acting as
/// one of its users) tried to: refused by the caller, recorded here as an attempt.
#[tracing::instrument(skip(core, actor))]
pub async fn end_refused(core: &Core, actor: &Actor, account: AccountId) -> Result<(), RegError> {
    let live = registrations::Entity::find()
        .filter(registrations::Column::AccountId.eq(account.uuid()))
        .filter(super::is_live())
        .one(&core.db.read)
        .await?;
    if let Some(reg) = live {
        audit::record(
            &core.db.write,
            core.now(),
            actor,
            "registration.end_refused",
            About::registration(reg.partner_id, reg.account_id, reg.id),
            "Only the account's own admins may end the relationship",
        )
        .await?;
    }
    Ok(())
}

/// Staff approval: refused while any rule fails.
#[tracing::instrument(skip(core, actor))]
pub async fn approve(
    core: &Core,
    actor: &Actor,
    id: RegistrationId,
) -> Result<Registration, RegError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let reg = load(&txn, id).await?;
    transition(reg.status, Event::StaffApproves)?;
    let verdicts = recheck_in(&txn, &reg).await?;
    if verdicts.iter().any(|v| !v.passed) {
        return Err(RegError::Ineligible(verdicts));
    }
    let reg = apply(&txn, now, &reg, Event::StaffApproves, actor, None).await?;
    let (partner, account) = names(&txn, &reg).await?;
    let parties = Parties::of(&reg, &partner, &account, "");
    parties.tell_partner(&txn, core, News::Approved).await?;
    parties
        .tell_customer(&txn, core, News::PartnerApproved)
        .await?;
    core.commit(txn).await?;
    Ok(reg.into())
}

#[tracing::instrument(skip(core, actor, reason))]
pub async fn reject(
    core: &Core,
    actor: &Actor,
    id: RegistrationId,
    reason: &str,
) -> Result<Registration, RegError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let reg = load(&txn, id).await?;
    let reg = apply(&txn, now, &reg, Event::StaffRejects, actor, Some(reason)).await?;
    let (partner, account) = names(&txn, &reg).await?;
    let parties = Parties::of(&reg, &partner, &account, reason);
    parties.tell_partner(&txn, core, News::Rejected).await?;
    core.commit(txn).await?;
    Ok(reg.into())
}

/// Moves lapsed confirmation requests to `expired` and tells their partners. Run by the
/// background jobs; safe on several instances (each transition names the status it read).
#[tracing::instrument(skip(core), level = "debug")]
pub async fn expire_due(core: &Core) -> Result<usize, RegError> {
    let now = core.now();
    let due = registrations::Entity::find()
        .filter(registrations::Column::Status.eq(Status::PendingCustomer))
        .filter(registrations::Column::ExpiresAt.lte(now))
        .limit(100)
        .all(&core.db.read)
        .await?;
    let mut n = 0;
    let system = Actor::system("system");
    for reg in due {
        let txn = core.db.begin().await?;
        match apply(&txn, now, &reg, Event::LinkExpires, &system, None).await {
            Ok(reg) => {
                kill_links(&txn, reg.id, now).await?;
                let (partner, account) = names(&txn, &reg).await?;
                let parties = Parties::of(&reg, &partner, &account, "");
                parties.tell_partner(&txn, core, News::Expired).await?;
                core.commit(txn).await?;
                n += 1;
            }
            Err(RegError::NotAllowed(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
