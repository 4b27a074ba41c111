//! A new registration: for an existing account (every rule must hold; the database has the
//! last word on channel conflict) or for a new account registered by the partner.
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryTrait, Statement};
use uuid::Uuid;

use super::{
    eligibility::{conflict_verdicts, gather_facts},
    notifications, RegError, Terms,
};
use crate::{
    domain::{
        eligibility::{self, Facts},
        registration::Status,
        AccountSource, Channel, Email, PlainName, Role, UserKind,
    },
    email::outbox,
    entities::{
        accounts as account, audit_events, email_tokens, outbox as outbox_rows, registrations,
        users,
    },
    services::{
        accounts::{self, NewAccount},
        audit::{self, About, Actor},
        auth::{find_user_by_email, new_user},
        tokens::{self, NewToken, Purpose},
        views::{Account, Partner, Registration},
        Core,
    },
};

/// Who asks for which account, and how: what a new registration is made of.
struct Request<'a> {
    partner: &'a Partner,
    account: &'a account::Model,
    terms: &'a Terms,
    new_account: bool,
    via: Channel,
    actor: &'a Actor,
}

/// The new registration and the statements that write it with its audit event, the first
/// confirmation link and the email that carries it. The unique index on live registrations
/// refuses a second one for the account: see [`refused_as_conflict`].
fn registration_rows(
    core: &Core,
    r: Request<'_>,
) -> Result<(registrations::Model, Vec<Statement>), RegError> {
    let Request {
        partner,
        account,
        terms,
        new_account,
        via,
        actor,
    } = r;
    let now = core.now();
    let row = registrations::ActiveModel {
        id: Set(Uuid::now_v7()),
        partner_id: Set(partner.id.uuid()),
        account_id: Set(account.id),
        friendly_name: Set(terms.friendly_name.clone().into_inner()),
        partner_role: Set(terms.partner_role.clone().into_inner()),
        customer_type: Set(terms.customer_type),
        commission_bp: Set(terms.commission.bp()),
        management_mode: Set(terms.management_mode),
        status: Set(Status::PendingCustomer),
        new_account: Set(new_account),
        created_via: Set(via),
        created_by_label: Set(actor.label.clone()),
        reason: Set(None),
        expires_at: Set(Some(now + core.links.confirm_ttl)),
        confirmed_at: Set(None),
        activated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        seats_licensed: Set(0),
        seats_assigned: Set(0),
        usage_bp: Set(-1),
        next_expiry: Set(crate::domain::order::no_expiry()),
        paid_12m_minor: Set(0),
    };
    let reg = sea_orm::TryIntoModel::try_into_model(row.clone())?;
    let event = audit::event(
        now,
        actor,
        "registration.requested",
        About::registration(partner.id.uuid(), account.id, reg.id),
        &format!(
            "{} as {} at {}",
            account.company_name, reg.partner_role, terms.commission
        ),
    );
    // A new registration has no earlier link to end.
    let (token, link) = tokens::first_link(confirm_link(core, account, &reg));
    let mail = outbox::pending(notifications::confirmation_mail(
        core,
        &partner.company_name,
        &partner.country,
        account,
        &reg,
        &token,
    )?);
    let backend = core.db.backend();
    let mut writes = vec![registrations::Entity::insert(row).build(backend)];
    // A linked account may have paid this partner under an earlier registration.
    if !new_account {
        writes.push(crate::services::paid_12m::on_registered(
            backend,
            reg.id,
            reg.partner_id,
            reg.account_id,
        ));
    }
    writes.extend([
        audit_events::Entity::insert(event).build(backend),
        email_tokens::Entity::insert(link).build(backend),
        outbox_rows::Entity::insert(mail).build(backend),
    ]);
    Ok((reg, writes))
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// A write refused by the unique index on live registrations is a channel conflict.
fn refused_as_conflict(e: DbErr) -> RegError {
    if is_unique_violation(&e) {
        RegError::Ineligible(conflict_verdicts())
    } else {
        e.into()
    }
}

pub(super) fn confirm_link<'a>(
    core: &Core,
    account: &'a account::Model,
    reg: &registrations::Model,
) -> NewToken<'a> {
    NewToken {
        at: core.now(),
        purpose: Purpose::RegistrationConfirm,
        email: &account.primary_email,
        user_id: None,
        partner_id: Some(reg.partner_id),
        subject_id: Some(reg.id),
        account_id: None,
        role: None,
        ttl: core.links.confirm_ttl,
    }
}

/// Links an existing account: every rule must hold; the database has the last word on
/// channel conflict, so concurrent adds yield exactly one registration.
#[tracing::instrument(skip_all, fields(partner = %partner.id, via = ?via))]
pub async fn add_existing(
    core: &Core,
    actor: &Actor,
    partner: &Partner,
    email: &Email,
    terms: Terms,
    via: Channel,
) -> Result<Registration, RegError> {
    let (facts, account) = gather_facts(&core.db.read, partner.id, email.as_str(), None).await?;
    link_existing(core, actor, partner, &facts, account, terms, via).await
}

/// Links an existing account whose facts were just read (`gather_facts`).
///
/// The rules are checked on those facts, outside the write transaction, so the one writer is
/// held only for the inserts. What could change in between is covered twice: a second live
/// registration of the account is refused by the unique index `uq_registrations_live_account`
/// (then the facts are read again and the real reason reported), and staff re-check every rule
/// before they approve.
#[tracing::instrument(skip_all)]
pub async fn link_existing(
    core: &Core,
    actor: &Actor,
    partner: &Partner,
    facts: &Facts,
    account: Option<account::Model>,
    terms: Terms,
    via: Channel,
) -> Result<Registration, RegError> {
    let verdicts = eligibility::check(facts);
    if verdicts.iter().any(|v| !v.passed) {
        return Err(RegError::Ineligible(verdicts));
    }
    let account = account.ok_or(RegError::NotFound)?;
    let (reg, rows) = registration_rows(
        core,
        Request {
            partner,
            account: &account,
            terms: &terms,
            new_account: false,
            via,
            actor,
        },
    )?;
    // The rows in one transaction of their own (a group commit on SQLite).
    match core.commit_all(rows).await.map_err(refused_as_conflict) {
        Ok(()) => Ok(reg.into()),
        // Only the unique index makes the insert answer `Ineligible`.
        Err(RegError::Ineligible(_)) => Err(lost_race(core, partner, &account).await),
        Err(e) => Err(e),
    }
}

/// The verdicts after the unique index refused a second live registration: read afresh, so a
/// partner who raced itself hears "already yours", not "with another partner".
async fn lost_race(core: &Core, partner: &Partner, account: &account::Model) -> RegError {
    match gather_facts(&core.db.read, partner.id, &account.primary_email, None).await {
        Ok((facts, _)) => {
            let verdicts = eligibility::check(&facts);
            if verdicts.iter().any(|v| !v.passed) {
                RegError::Ineligible(verdicts)
            } else {
                RegError::Ineligible(conflict_verdicts())
            }
        }
        Err(e) => e.into(),
    }
}

pub struct NewCustomer {
    pub account: NewAccount,
    pub admin_name: PlainName,
    /// Set by the API's register mode; otherwise the customer chooses it when confirming.
    pub password_hash: Option<String>,
}

/// Registers a new account with its first user, and the registration for it.
#[tracing::instrument(skip_all, fields(partner = %partner.id, via = ?via))]
pub async fn add_new(
    core: &Core,
    actor: &Actor,
    partner: &Partner,
    c: NewCustomer,
    terms: Terms,
    via: Channel,
) -> Result<(Registration, Account), RegError> {
    let email = c.account.primary_email.clone();
    let txn = core.db.begin().await?;
    let (facts, existing) = gather_facts(&txn, partner.id, email.as_str(), None).await?;
    if facts.is_partner_itself {
        let failed = eligibility::failures(&eligibility::check(&facts))
            .into_iter()
            .cloned()
            .collect();
        return Err(RegError::Ineligible(failed));
    }
    if existing.is_some() || find_user_by_email(&txn, email.as_str()).await?.is_some() {
        return Err(RegError::AccountExists);
    }
    let source = match via {
        Channel::Api => AccountSource::Api,
        Channel::Web => AccountSource::Partner,
    };
    let account = accounts::create(&txn, core.now(), c.account, source, actor).await?;
    // "!" is no valid hash: nobody can sign in until the customer sets a password.
    let hash = c.password_hash.as_deref().unwrap_or("!");
    let name = c.admin_name.into_inner();
    let kind = UserKind::Customer;
    users::Entity::insert(users::ActiveModel {
        account_id: Set(Some(account.id)),
        ..new_user(
            core.now(),
            email.as_str(),
            &name,
            kind,
            None,
            Role::Admin,
            hash,
        )
    })
    .exec_without_returning(&txn)
    .await?;
    let (reg, rows) = registration_rows(
        core,
        Request {
            partner,
            account: &account,
            terms: &terms,
            new_account: true,
            via,
            actor,
        },
    )?;
    // The four rows in one round trip (see `db::execute_all`).
    crate::db::execute_all(&txn, rows)
        .await
        .map_err(refused_as_conflict)?;
    core.commit(txn).await?;
    Ok((reg.into(), account.into()))
}

/// Issues a new confirmation link (the older one dies) and emails it to the account.
pub(super) async fn send_confirmation(
    conn: &impl ConnectionTrait,
    core: &Core,
    partner: &crate::entities::partners::Model,
    account: &account::Model,
    reg: &registrations::Model,
) -> Result<(), RegError> {
    let token = tokens::issue(conn, confirm_link(core, account, reg)).await?;
    let mail = notifications::confirmation_mail(
        core,
        &partner.company_name,
        &partner.country,
        account,
        reg,
        &token,
    )?;
    outbox::enqueue(conn, mail).await?;
    Ok(())
}
