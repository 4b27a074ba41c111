//! The registration workflow: a partner asks for a customer account (existing or new), the
//! customer confirms by email, staff approve. Every transition goes through the pure state
//! machine, writes an audit event and queues the emails it implies in one transaction.
use super::Core;
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, Query},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, JoinType, Order, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, RelationDef, Statement, TryIntoModel,
};
use uuid::Uuid;

use super::{
    accounts::{self, AccountError, NewAccount},
    audit::{self, About, Actor},
    auth::find_user_by_email,
    tokens::{self, LinkProblem, NewToken, Purpose},
};
use crate::{
    domain::{
        eligibility::{self, Facts, Rule, Verdict},
        registration::{transition, Event, NotAllowed, Status},
        CommissionRate, Email, NewPassword, PlainName,
    },
    email::{messages, outbox, EmailMessage},
    entities::{
        accounts as account, audit_events, email_tokens, outbox as outbox_rows, partners,
        registrations, users,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum RegError {
    /// One or more eligibility rules failed; each is named.
    #[error("the account cannot be registered")]
    Ineligible(Vec<Verdict>),
    /// A new account was asked for, but that email already has one.
    #[error("An account with this email already exists; link it instead.")]
    AccountExists,
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<DbErr> for RegError {
    fn from(e: DbErr) -> Self {
        Self::Other(e.into())
    }
}

impl From<askama::Error> for RegError {
    fn from(e: askama::Error) -> Self {
        Self::Other(e.into())
    }
}

impl From<AccountError> for RegError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::EmailTaken => Self::AccountExists,
            AccountError::NotFound => Self::NotFound,
            AccountError::Db(e) => e.into(),
        }
    }
}

impl RegError {
    /// The failed rule names, for the API's `errors`.
    pub fn failed_rules(&self) -> Vec<Rule> {
        match self {
            Self::Ineligible(v) => v.iter().filter(|v| !v.passed).map(|v| v.rule).collect(),
            _ => vec![],
        }
    }
}

/// What a partner asks for, whichever way it registers the customer.
pub struct Terms {
    pub friendly_name: PlainName,
    pub partner_role: PlainName,
    pub customer_type: String,
    pub commission: CommissionRate,
    pub management_mode: bool,
}

/// The facts the eligibility rules need, for `email` seen from `partner_id`, leaving out the
/// registration being re-checked.
pub async fn gather_facts(
    conn: &impl ConnectionTrait,
    partner_id: Uuid,
    email: &str,
    exclude: Option<Uuid>,
) -> Result<(Facts, Option<account::Model>), DbErr> {
    // Scoped here: ExprTrait's `max` would shadow `Ord::max` elsewhere in this module.
    use sea_orm::sea_query::ExprTrait;
    let email = email.trim().to_lowercase();
    // One query in the usual case: the account with, as EXISTS columns, whether the email is one
    // of the partner's own users, whether it has live registrations, and what it holds. Details
    // (which registration, which services…) are read only when a rule needs them.
    let partner_user = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(users::Entity)
            .cond_where(own_user(&email, partner_id))
            .to_owned(),
    );
    let live = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(registrations::Entity)
            .and_where(
                Expr::col((registrations::Entity, registrations::Column::AccountId))
                    .equals((account::Entity, account::Column::Id)),
            )
            .and_where(is_live())
            .to_owned(),
    );
    let mut query = account::Entity::find()
        .filter(account::Column::PrimaryEmail.eq(email.clone()))
        .expr_as(partner_user, "is_partner_itself")
        .expr_as(live, "has_live");
    for (expr, alias) in accounts::holdings_exprs() {
        query = query.expr_as(expr, alias);
    }
    let Some(found) = query.into_model::<AccountWithFacts>().one(conn).await? else {
        let is_partner_itself = users::Entity::find()
            .filter(own_user(&email, partner_id))
            .one(conn)
            .await?
            .is_some();
        return Ok((
            Facts {
                is_partner_itself,
                ..Default::default()
            },
            None,
        ));
    };
    let acct = found.account;
    let live = if found.has_live {
        let mut live = registrations::Entity::find()
            .filter(registrations::Column::AccountId.eq(acct.id))
            .filter(is_live());
        if let Some(id) = exclude {
            live = live.filter(registrations::Column::Id.ne(id));
        }
        live.all(conn).await?
    } else {
        vec![]
    };
    let held = accounts::Holdings {
        ledger: found.held_ledger,
        services: found.held_services,
        discounts: found.held_discounts,
    };
    let facts = Facts {
        account: Some(accounts::facts(conn, &acct, held).await?),
        is_partner_itself: found.is_partner_itself,
        with_this_partner: live
            .iter()
            .find(|r| r.partner_id == partner_id)
            .and_then(|r| Status::parse(&r.status)),
        with_other_partner: live.iter().any(|r| r.partner_id != partner_id),
    };
    Ok((facts, Some(acct)))
}

/// A registration that holds its account (`Status::is_live`, `uq_registrations_live_account`).
pub fn is_live() -> Expr {
    registrations::Column::Status.is_in(crate::domain::registration::live_statuses())
}

/// The email is one of the partner's own users.
fn own_user(email: &str, partner_id: Uuid) -> Condition {
    Condition::all()
        .add(users::Column::Email.eq(email))
        .add(users::Column::PartnerId.eq(partner_id))
}

#[derive(sea_orm::FromQueryResult)]
struct AccountWithFacts {
    #[sea_orm(nested)]
    account: account::Model,
    is_partner_itself: bool,
    has_live: bool,
    held_ledger: bool,
    held_services: bool,
    held_discounts: bool,
}

/// Every rule for this email, as the partner's eligibility check shows them.
pub async fn check_email(
    core: &Core,
    partner_id: Uuid,
    email: &Email,
) -> Result<Vec<Verdict>, DbErr> {
    Ok(eligibility::check(
        &gather_facts(&core.db.read, partner_id, email.as_str(), None)
            .await?
            .0,
    ))
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// The verdicts to report when the database refused a second live registration.
fn conflict_verdicts(with_this_partner: bool) -> Vec<Verdict> {
    let mut f = Facts {
        account: Some(eligibility::AccountFacts {
            billing_mode: "prepaid".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    if with_this_partner {
        f.with_this_partner = Some(Status::PendingCustomer);
    } else {
        f.with_other_partner = true;
    }
    eligibility::check(&f)
        .into_iter()
        .filter(|v| !v.passed)
        .collect()
}

/// Who asks for which account, and how: what a new registration is made of.
struct Request<'a> {
    partner: &'a partners::Model,
    account: &'a account::Model,
    terms: &'a Terms,
    new_account: bool,
    /// `web` | `api`
    via: &'a str,
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
        partner_id: Set(partner.id),
        account_id: Set(account.id),
        friendly_name: Set(terms.friendly_name.clone().into_inner()),
        partner_role: Set(terms.partner_role.clone().into_inner()),
        customer_type: Set(terms.customer_type.clone()),
        commission_bp: Set(terms.commission.bp()),
        management_mode: Set(terms.management_mode),
        status: Set(Status::PendingCustomer.as_str().into()),
        new_account: Set(new_account),
        created_via: Set(via.into()),
        created_by_label: Set(actor.label.clone()),
        reason: Set(None),
        expires_at: Set(Some(now + core.links.confirm_ttl)),
        confirmed_at: Set(None),
        activated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let reg = row.clone().try_into_model()?;
    let event = audit::event(
        core.now(),
        actor,
        "registration.requested",
        About::registration(partner.id, account.id, reg.id),
        &format!(
            "{} as {} at {}",
            account.company_name,
            reg.partner_role,
            CommissionRate::from_bp(reg.commission_bp)
        ),
    );
    // A new registration has no earlier link to end.
    let (token, link) = tokens::first_link(confirm_link(core, partner, account, &reg));
    let mail = outbox::pending(confirmation_mail(core, partner, account, &reg, &token)?);
    let backend = core.db.backend();
    Ok((
        reg,
        vec![
            registrations::Entity::insert(row).build(backend),
            audit_events::Entity::insert(event).build(backend),
            email_tokens::Entity::insert(link).build(backend),
            outbox_rows::Entity::insert(mail).build(backend),
        ],
    ))
}

/// A write refused by the unique index on live registrations is a channel conflict.
fn refused_as_conflict(e: DbErr) -> RegError {
    if is_unique_violation(&e) {
        RegError::Ineligible(conflict_verdicts(false))
    } else {
        e.into()
    }
}

fn confirm_link<'a>(
    core: &Core,
    partner: &partners::Model,
    account: &'a account::Model,
    reg: &registrations::Model,
) -> NewToken<'a> {
    NewToken {
        at: core.now(),
        purpose: Purpose::RegistrationConfirm,
        email: &account.primary_email,
        user_id: None,
        partner_id: Some(partner.id),
        subject_id: Some(reg.id),
        role: None,
        ttl: core.links.confirm_ttl,
    }
}

fn confirmation_mail(
    core: &Core,
    partner: &partners::Model,
    account: &account::Model,
    reg: &registrations::Model,
    token: &str,
) -> Result<EmailMessage, RegError> {
    Ok(messages::RegistrationRequest {
        partner: partner.company_name.clone(),
        partner_country: crate::domain::countries::name(&partner.country)
            .unwrap_or(&partner.country)
            .to_string(),
        customer: account.company_name.clone(),
        role: reg.partner_role.clone(),
        management_mode: reg.management_mode,
        new_account: reg.new_account,
        link: core.links.url(&format!("/confirm/{token}")),
        days: core.links.confirm_ttl.num_days().max(1),
    }
    .render(&account.primary_email)?)
}

/// Issues a new confirmation link (the older one dies) and emails it to the account.
async fn send_confirmation(
    conn: &impl ConnectionTrait,
    core: &Core,
    partner: &partners::Model,
    account: &account::Model,
    reg: &registrations::Model,
) -> Result<(), RegError> {
    let token = tokens::issue(conn, confirm_link(core, partner, account, reg)).await?;
    outbox::enqueue(
        conn,
        confirmation_mail(core, partner, account, reg, &token)?,
    )
    .await?;
    Ok(())
}

/// Links an existing account: every rule must hold; the database has the last word on
/// channel conflict, so concurrent adds yield exactly one registration.
pub async fn add_existing(
    core: &Core,
    actor: &Actor,
    partner: &partners::Model,
    email: &Email,
    terms: Terms,
    via: &str,
) -> Result<registrations::Model, RegError> {
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
pub async fn link_existing(
    core: &Core,
    actor: &Actor,
    partner: &partners::Model,
    facts: &Facts,
    account: Option<account::Model>,
    terms: Terms,
    via: &str,
) -> Result<registrations::Model, RegError> {
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
    let inserted = core
        .commit_all(rows)
        .await
        .map(|()| reg)
        .map_err(refused_as_conflict);
    match inserted {
        Ok(reg) => Ok(reg),
        // Only the unique index makes the insert answer `Ineligible`.
        Err(RegError::Ineligible(_)) => Err(lost_race(core, partner, &account).await),
        Err(e) => Err(e),
    }
}

/// The verdicts after the unique index refused a second live registration: read afresh, so a
/// partner who raced itself hears "already yours", not "with another partner".
async fn lost_race(core: &Core, partner: &partners::Model, account: &account::Model) -> RegError {
    match gather_facts(&core.db.read, partner.id, &account.primary_email, None).await {
        Ok((facts, _)) => {
            let verdicts = eligibility::check(&facts);
            if verdicts.iter().any(|v| !v.passed) {
                RegError::Ineligible(verdicts)
            } else {
                RegError::Ineligible(conflict_verdicts(false))
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
pub async fn add_new(
    core: &Core,
    actor: &Actor,
    partner: &partners::Model,
    c: NewCustomer,
    terms: Terms,
    via: &str,
) -> Result<(registrations::Model, account::Model), RegError> {
    let email = c.account.primary_email.clone();
    let txn = core.db.begin().await?;
    let (facts, existing) = gather_facts(&txn, partner.id, email.as_str(), None).await?;
    if facts.is_partner_itself {
        return Err(RegError::Ineligible(
            eligibility::check(&facts)
                .into_iter()
                .filter(|v| !v.passed)
                .collect(),
        ));
    }
    if existing.is_some() || find_user_by_email(&txn, email.as_str()).await?.is_some() {
        return Err(RegError::AccountExists);
    }
    let account = accounts::create(&txn, core.now(), c.account, via_source(via), actor).await?;
    users::Entity::insert(users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.as_str().into()),
        name: Set(c.admin_name.into_inner()),
        // "!" is no valid hash: nobody can sign in until the customer sets a password.
        password_hash: Set(c.password_hash.unwrap_or_else(|| "!".into())),
        kind: Set("customer".into()),
        partner_id: Set(None),
        account_id: Set(Some(account.id)),
        role: Set("admin".into()),
        active: Set(true),
        created_at: Set(core.now()),
        last_sign_in_at: Set(None),
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
    Ok((reg, account))
}

fn via_source(via: &str) -> &'static str {
    if via == "api" {
        "api"
    } else {
        "partner"
    }
}

async fn load(conn: &impl ConnectionTrait, id: Uuid) -> Result<registrations::Model, RegError> {
    registrations::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(RegError::NotFound)
}

/// A partner's own registration; any other is "not found".
pub async fn for_partner(
    conn: &impl ConnectionTrait,
    partner_id: Uuid,
    id: Uuid,
) -> Result<registrations::Model, RegError> {
    let reg = load(conn, id).await?;
    if reg.partner_id != partner_id {
        return Err(RegError::NotFound);
    }
    Ok(reg)
}

/// Applies `event` to `reg` (re-read inside the transaction), saving the new status.
async fn apply(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    reg: &registrations::Model,
    event: Event,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<registrations::Model, RegError> {
    let from =
        Status::parse(&reg.status).ok_or_else(|| anyhow::anyhow!("bad status {}", reg.status))?;
    let to = transition(from, event)?;
    let mut row = registrations::ActiveModel {
        id: Set(reg.id),
        status: Set(to.as_str().into()),
        updated_at: Set(now),
        ..Default::default()
    };
    match event {
        Event::CustomerConfirms => row.confirmed_at = Set(Some(now)),
        Event::StaffApproves => row.activated_at = Set(Some(now)),
        _ => {}
    }
    if let Some(r) = reason.filter(|r| !r.trim().is_empty()) {
        row.reason = Set(Some(r.trim().to_string()));
    }
    // Only one writer wins a transition: the update names the status it read.
    let res = registrations::Entity::update_many()
        .set(row)
        .filter(registrations::Column::Id.eq(reg.id))
        .filter(registrations::Column::Status.eq(reg.status.clone()))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(NotAllowed { from, event }.into());
    }
    let detail = match reason {
        Some(r) if !r.trim().is_empty() => {
            format!("{} → {}: {}", from.label(), to.label(), r.trim())
        }
        _ => format!("{} → {}", from.label(), to.label()),
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
    load(conn, reg.id).await
}

/// Emails every active user of the partner.
async fn notify_partner(
    conn: &impl ConnectionTrait,
    core: &Core,
    reg: &registrations::Model,
    headline: String,
    body: String,
) -> Result<(), RegError> {
    let recipients = users::Entity::find()
        .filter(users::Column::PartnerId.eq(reg.partner_id))
        .filter(users::Column::Active.eq(true))
        .all(conn)
        .await?;
    for u in recipients {
        let msg = messages::Notice {
            headline: headline.clone(),
            body: body.clone(),
            link: core.links.url(&format!("/customers/{}", reg.id)),
            link_label: "Open the customer".into(),
        }
        .render(&u.email)?;
        outbox::enqueue(conn, msg).await?;
    }
    Ok(())
}

async fn notify_customer(
    conn: &impl ConnectionTrait,
    core: &Core,
    account: &account::Model,
    headline: String,
    body: String,
) -> Result<(), RegError> {
    let msg = messages::Notice {
        headline,
        body,
        link: core.links.url("/my/partner"),
        link_label: "See your partner".into(),
    }
    .render(&account.primary_email)?;
    outbox::enqueue(conn, msg).await?;
    Ok(())
}

async fn names(
    conn: &impl ConnectionTrait,
    reg: &registrations::Model,
) -> Result<(partners::Model, account::Model), RegError> {
    let p = partners::Entity::find_by_id(reg.partner_id)
        .one(conn)
        .await?
        .ok_or(RegError::NotFound)?;
    let a = accounts::find(conn, reg.account_id)
        .await?
        .ok_or(RegError::NotFound)?;
    Ok((p, a))
}

/// What the customer sees behind the confirmation link.
pub struct ConfirmationView {
    pub registration: registrations::Model,
    pub partner: partners::Model,
    pub account: account::Model,
    /// The account's first user has no password yet (a new account made in the portal).
    pub needs_password: bool,
}

pub async fn confirmation(core: &Core, token: &str) -> Result<ConfirmationView, RegError> {
    let link = tokens::find_usable(
        &core.db.read,
        Purpose::RegistrationConfirm,
        token,
        core.now(),
    )
    .await??;
    let reg = load(&core.db.read, link.subject_id.ok_or(LinkProblem::Unknown)?).await?;
    if Status::parse(&reg.status) != Some(Status::PendingCustomer) {
        return Err(LinkProblem::Used.into());
    }
    if reg.expires_at.is_some_and(|e| e <= core.now()) {
        return Err(LinkProblem::Expired.into());
    }
    let (partner, account) = names(&core.db.read, &reg).await?;
    let needs_password = reg.new_account
        && users::Entity::find()
            .filter(users::Column::AccountId.eq(account.id))
            .filter(users::Column::PasswordHash.eq("!"))
            .one(&core.db.read)
            .await?
            .is_some();
    Ok(ConfirmationView {
        registration: reg,
        partner,
        account,
        needs_password,
    })
}

/// The customer's answer through the emailed link: confirm (choosing a password when the
/// partner created the account) or decline.
pub async fn answer(
    core: &Core,
    token: &str,
    confirm: bool,
    password: Option<&NewPassword>,
    reason: &str,
) -> Result<registrations::Model, RegError> {
    let hash = match password {
        Some(p) => Some(
            core.hasher
                .hash(p.expose())
                .await
                .map_err(anyhow::Error::from)?,
        ),
        None => None,
    };
    let txn = core.db.begin().await?;
    let link = tokens::find_usable(&txn, Purpose::RegistrationConfirm, token, core.now()).await??;
    let reg = load(&txn, link.subject_id.ok_or(LinkProblem::Unknown)?).await?;
    if reg.expires_at.is_some_and(|e| e <= core.now()) {
        return Err(LinkProblem::Expired.into());
    }
    if !tokens::consume(&txn, link.id, core.now()).await? {
        return Err(LinkProblem::Used.into());
    }
    let (partner, account) = names(&txn, &reg).await?;
    let actor = Actor::system(&format!(
        "customer {} <{}>",
        account.company_name, account.primary_email
    ));
    let reg = if confirm {
        let reg = apply(
            &txn,
            core.now(),
            &reg,
            Event::CustomerConfirms,
            &actor,
            None,
        )
        .await?;
        if let Some(hash) = hash {
            users::Entity::update_many()
                .col_expr(users::Column::PasswordHash, Expr::value(hash))
                .filter(users::Column::AccountId.eq(account.id))
                .filter(users::Column::Email.eq(account.primary_email.clone()))
                .exec(&txn)
                .await?;
        }
        notify_partner(&txn, core, &reg, format!("{} confirmed your request", account.company_name), format!("{} confirmed that {} may become its partner. The provider will now review the request; you will hear when it is approved.", account.company_name, partner.company_name)).await?;
        reg
    } else {
        let reg = apply(
            &txn,
            core.now(),
            &reg,
            Event::CustomerDeclines,
            &actor,
            Some(reason),
        )
        .await?;
        let why = if reason.trim().is_empty() {
            String::new()
        } else {
            format!(" Their reason: {}", reason.trim())
        };
        notify_partner(
            &txn,
            core,
            &reg,
            format!("{} declined your request", account.company_name),
            format!(
                "{} declined to become a customer of {}.{}",
                account.company_name, partner.company_name, why
            ),
        )
        .await?;
        reg
    };
    core.commit(txn).await?;
    Ok(reg)
}

/// A new confirmation link for a pending request; the old link stops working.
pub async fn resend(
    core: &Core,
    actor: &Actor,
    partner_id: Uuid,
    id: Uuid,
) -> Result<registrations::Model, RegError> {
    let txn = core.db.begin().await?;
    let reg = for_partner(&txn, partner_id, id).await?;
    let reg = apply(&txn, core.now(), &reg, Event::Resend, actor, None).await?;
    registrations::Entity::update_many()
        .col_expr(
            registrations::Column::ExpiresAt,
            Expr::value(core.now() + core.links.confirm_ttl),
        )
        .filter(registrations::Column::Id.eq(reg.id))
        .exec(&txn)
        .await?;
    let (partner, account) = names(&txn, &reg).await?;
    send_confirmation(&txn, core, &partner, &account, &reg).await?;
    core.commit(txn).await?;
    Ok(reg)
}

pub async fn cancel(
    core: &Core,
    actor: &Actor,
    partner_id: Uuid,
    id: Uuid,
) -> Result<registrations::Model, RegError> {
    let txn = core.db.begin().await?;
    let reg = for_partner(&txn, partner_id, id).await?;
    let reg = apply(&txn, core.now(), &reg, Event::PartnerCancels, actor, None).await?;
    kill_links(&txn, reg.id, core.now()).await?;
    txn.commit().await?;
    Ok(reg)
}

async fn kill_links(
    conn: &impl ConnectionTrait,
    reg_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    crate::entities::email_tokens::Entity::update_many()
        .col_expr(
            crate::entities::email_tokens::Column::UsedAt,
            Expr::value(now),
        )
        .filter(crate::entities::email_tokens::Column::SubjectId.eq(reg_id))
        .filter(crate::entities::email_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Who ends an active relationship.
pub enum Ender {
    Partner(Uuid),
    Staff,
    Customer(Uuid),
}

pub async fn end(
    core: &Core,
    actor: &Actor,
    by: Ender,
    id: Uuid,
    reason: &str,
) -> Result<registrations::Model, RegError> {
    let txn = core.db.begin().await?;
    let reg = load(&txn, id).await?;
    let event = match by {
        Ender::Partner(p) if p == reg.partner_id => Event::PartnerEnds,
        Ender::Customer(a) if a == reg.account_id => Event::CustomerEnds,
        Ender::Staff => Event::StaffEnds,
        _ => return Err(RegError::NotFound),
    };
    let reg = apply(&txn, core.now(), &reg, event, actor, Some(reason)).await?;
    let (partner, account) = names(&txn, &reg).await?;
    let why = if reason.trim().is_empty() {
        String::new()
    } else {
        format!(" Reason: {}", reason.trim())
    };
    let body = format!(
        "The partnership between {} and {} has ended.{}",
        partner.company_name, account.company_name, why
    );
    let headline = format!(
        "{} is no longer a customer of {}",
        account.company_name, partner.company_name
    );
    notify_partner(&txn, core, &reg, headline.clone(), body.clone()).await?;
    if !matches!(event, Event::CustomerEnds) {
        notify_customer(&txn, core, &account, headline.clone(), body.clone()).await?;
    }
    if matches!(event, Event::CustomerEnds) {
        notify_staff(&txn, core, &headline, &body).await?;
    }
    core.commit(txn).await?;
    Ok(reg)
}

async fn notify_staff(
    conn: &impl ConnectionTrait,
    core: &Core,
    headline: &str,
    body: &str,
) -> Result<(), RegError> {
    let staff = users::Entity::find()
        .filter(users::Column::Kind.eq("staff"))
        .filter(users::Column::Active.eq(true))
        .all(conn)
        .await?;
    for s in staff {
        let msg = messages::Notice {
            headline: headline.into(),
            body: body.into(),
            link: core.links.url("/staff/audit"),
            link_label: "Open the audit log".into(),
        }
        .render(&s.email)?;
        outbox::enqueue(conn, msg).await?;
    }
    Ok(())
}

/// The eligibility rules re-checked for a registration waiting for approval.
pub async fn recheck(
    conn: &impl ConnectionTrait,
    reg: &registrations::Model,
) -> Result<Vec<Verdict>, RegError> {
    let account = accounts::find(conn, reg.account_id)
        .await?
        .ok_or(RegError::NotFound)?;
    let (facts, _) =
        gather_facts(conn, reg.partner_id, &account.primary_email, Some(reg.id)).await?;
    Ok(eligibility::check(&facts))
}

/// Staff approval: refused while any rule fails.
pub async fn approve(
    core: &Core,
    actor: &Actor,
    id: Uuid,
) -> Result<registrations::Model, RegError> {
    let txn = core.db.begin().await?;
    let reg = load(&txn, id).await?;
    let from = Status::parse(&reg.status).ok_or_else(|| anyhow::anyhow!("bad status"))?;
    transition(from, Event::StaffApproves)?;
    let verdicts = recheck(&txn, &reg).await?;
    if verdicts.iter().any(|v| !v.passed) {
        return Err(RegError::Ineligible(verdicts));
    }
    let reg = apply(&txn, core.now(), &reg, Event::StaffApproves, actor, None).await?;
    let (partner, account) = names(&txn, &reg).await?;
    notify_partner(&txn, core, &reg, format!("{} is now your customer", account.company_name), format!("The provider approved the registration. {} is now an active customer of {} at a commission of {}.", account.company_name, partner.company_name, CommissionRate::from_bp(reg.commission_bp))).await?;
    notify_customer(
        &txn,
        core,
        &account,
        format!("{} is now your partner", partner.company_name),
        format!(
            "The provider approved {} as the partner of {}, in the role \"{}\".",
            partner.company_name, account.company_name, reg.partner_role
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(reg)
}

pub async fn reject(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> Result<registrations::Model, RegError> {
    let txn = core.db.begin().await?;
    let reg = load(&txn, id).await?;
    let reg = apply(
        &txn,
        core.now(),
        &reg,
        Event::StaffRejects,
        actor,
        Some(reason),
    )
    .await?;
    let (partner, account) = names(&txn, &reg).await?;
    notify_partner(
        &txn,
        core,
        &reg,
        format!("Registration of {} was rejected", account.company_name),
        format!(
            "The provider rejected the registration of {} as a customer of {}. Reason: {}",
            account.company_name,
            partner.company_name,
            reason.trim()
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(reg)
}

/// Moves lapsed confirmation requests to `expired` and tells their partners. Run by the
/// background worker; safe on several instances (each transition names the status it read).
pub async fn expire_due(core: &Core) -> Result<usize, RegError> {
    let due = registrations::Entity::find()
        .filter(registrations::Column::Status.eq(Status::PendingCustomer.as_str()))
        .filter(registrations::Column::ExpiresAt.lte(core.now()))
        .limit(100)
        .all(&core.db.read)
        .await?;
    let mut n = 0;
    for reg in due {
        let txn = core.db.begin().await?;
        match apply(
            &txn,
            core.now(),
            &reg,
            Event::LinkExpires,
            &Actor::system("system"),
            None,
        )
        .await
        {
            Ok(reg) => {
                kill_links(&txn, reg.id, core.now()).await?;
                let (partner, account) = names(&txn, &reg).await?;
                notify_partner(&txn, core, &reg, format!("Your request to {} expired", account.company_name), format!("{} did not answer the request of {} in time. You can register the account again.", account.company_name, partner.company_name)).await?;
                core.commit(txn).await?;
                n += 1;
            }
            Err(RegError::NotAllowed(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// One row of My Customers: only the columns lists and exports show (fewer columns to
/// fetch and decode per row).
pub struct CustomerRow {
    pub registration: Listed,
    pub company_name: String,
    pub primary_email: String,
    pub account_active: bool,
}

/// The registration's listed columns.
#[derive(sea_orm::FromQueryResult)]
pub struct Listed {
    pub id: Uuid,
    pub account_id: Uuid,
    pub friendly_name: String,
    pub customer_type: String,
    pub commission_bp: i32,
    pub management_mode: bool,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerSort {
    Company,
    Name,
    Active,
    Type,
    Status,
    Commission,
    Created,
}

impl CustomerSort {
    pub fn parse(s: &str) -> Self {
        match s {
            "company" => Self::Company,
            "name" => Self::Name,
            "active" => Self::Active,
            "type" => Self::Type,
            "status" => Self::Status,
            "commission" => Self::Commission,
            _ => Self::Created,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Name => "name",
            Self::Active => "active",
            Self::Type => "type",
            Self::Status => "status",
            Self::Commission => "commission",
            Self::Created => "created",
        }
    }
}

pub struct CustomerQuery {
    pub q: String,
    pub status: Option<Status>,
    pub customer_type: String,
    pub sort: CustomerSort,
    pub desc: bool,
    pub offset: u64,
    pub limit: u64,
    /// Keyset cursor for exports sorted by newest first: rows strictly after this one.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

fn account_join() -> RelationDef {
    registrations::Entity::belongs_to(account::Entity)
        .from(registrations::Column::AccountId)
        .to(account::Column::Id)
        .into()
}

/// A partner's registrations for My Customers. Fetches `limit + 1` rows so the caller knows
/// whether a next page exists without counting the whole set.
pub async fn list(
    conn: &impl ConnectionTrait,
    partner_id: Uuid,
    q: &CustomerQuery,
) -> Result<Vec<CustomerRow>, DbErr> {
    let mut cond = Condition::all().add(registrations::Column::PartnerId.eq(partner_id));
    if let Some(s) = q.status {
        cond = cond.add(registrations::Column::Status.eq(s.as_str()));
    }
    if !q.customer_type.is_empty() {
        cond = cond.add(registrations::Column::CustomerType.eq(q.customer_type.clone()));
    }
    if !q.q.trim().is_empty() {
        let p = accounts::like_pattern(&q.q);
        cond = cond.add(
            Condition::any()
                .add(accounts::ilike(account::Column::CompanyName, &p))
                .add(accounts::ilike(account::Column::PrimaryEmail, &p))
                .add(accounts::ilike(registrations::Column::FriendlyName, &p)),
        );
    }
    if let Some((at, id)) = q.after {
        cond = cond.add(
            Condition::any()
                .add(registrations::Column::CreatedAt.lt(at))
                .add(
                    Condition::all()
                        .add(registrations::Column::CreatedAt.eq(at))
                        .add(registrations::Column::Id.lt(id)),
                ),
        );
    }
    let order = if q.desc { Order::Desc } else { Order::Asc };
    let mut query = registrations::Entity::find()
        .select_only()
        .columns([
            registrations::Column::Id,
            registrations::Column::AccountId,
            registrations::Column::FriendlyName,
            registrations::Column::CustomerType,
            registrations::Column::CommissionBp,
            registrations::Column::ManagementMode,
            registrations::Column::Status,
            registrations::Column::CreatedAt,
        ])
        .join(JoinType::InnerJoin, account_join())
        .filter(cond)
        .column_as(account::Column::CompanyName, "a_company")
        .column_as(account::Column::PrimaryEmail, "a_email")
        .column_as(account::Column::Active, "a_active");
    query = match q.sort {
        CustomerSort::Company => query.order_by(account::Column::CompanyName, order.clone()),
        CustomerSort::Name => query.order_by(registrations::Column::FriendlyName, order.clone()),
        CustomerSort::Active => query.order_by(account::Column::Active, order.clone()),
        CustomerSort::Type => query.order_by(registrations::Column::CustomerType, order.clone()),
        CustomerSort::Status => query.order_by(registrations::Column::Status, order.clone()),
        CustomerSort::Commission => {
            query.order_by(registrations::Column::CommissionBp, order.clone())
        }
        CustomerSort::Created => query.order_by(registrations::Column::CreatedAt, order.clone()),
    };
    let rows = query
        .order_by(registrations::Column::Id, order)
        .offset(q.offset)
        .limit(q.limit + 1)
        .into_model::<RowWithAccount>()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(RowWithAccount::into_row).collect())
}

#[derive(sea_orm::FromQueryResult)]
struct RowWithAccount {
    #[sea_orm(nested)]
    registration: Listed,
    a_company: String,
    a_email: String,
    a_active: bool,
}

impl RowWithAccount {
    fn into_row(self) -> CustomerRow {
        CustomerRow {
            registration: self.registration,
            company_name: self.a_company,
            primary_email: self.a_email,
            account_active: self.a_active,
        }
    }
}

/// The registration's history, oldest first.
pub async fn timeline(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<audit_events::Model>, DbErr> {
    audit_events::Entity::find()
        .filter(audit_events::Column::SubjectId.eq(id))
        .order_by_asc(audit_events::Column::At)
        .all(conn)
        .await
}

/// The approval queue: confirmed requests, oldest first.
pub async fn approval_queue(
    conn: &impl ConnectionTrait,
    q: &str,
) -> Result<Vec<(registrations::Model, String, String)>, DbErr> {
    let mut query = registrations::Entity::find()
        .join(JoinType::InnerJoin, account_join())
        .join(
            JoinType::InnerJoin,
            registrations::Entity::belongs_to(partners::Entity)
                .from(registrations::Column::PartnerId)
                .to(partners::Column::Id)
                .into(),
        )
        .filter(registrations::Column::Status.eq(Status::PendingApproval.as_str()))
        .column_as(partners::Column::CompanyName, "p_company")
        .column_as(account::Column::CompanyName, "a_company");
    if !q.trim().is_empty() {
        let p = accounts::like_pattern(q);
        query = query.filter(
            Condition::any()
                .add(accounts::ilike(account::Column::CompanyName, &p))
                .add(accounts::ilike(account::Column::PrimaryEmail, &p))
                .add(accounts::ilike(partners::Column::CompanyName, &p))
                .add(accounts::ilike(registrations::Column::FriendlyName, &p)),
        );
    }
    #[derive(sea_orm::FromQueryResult)]
    struct Names {
        p_company: String,
        a_company: String,
    }
    let query = query
        .order_by_asc(registrations::Column::ConfirmedAt)
        .order_by_asc(registrations::Column::Id)
        .limit(500);
    let regs = query.clone().all(conn).await?;
    let names = query.into_model::<Names>().all(conn).await?;
    Ok(regs
        .into_iter()
        .zip(names)
        .map(|(r, n)| (r, n.p_company, n.a_company))
        .collect())
}

/// The live registration of an account (what its customer users see).
pub async fn live_for_account(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<Option<(registrations::Model, partners::Model)>, DbErr> {
    let reg = registrations::Entity::find()
        .filter(registrations::Column::AccountId.eq(account_id))
        .filter(is_live())
        .one(conn)
        .await?;
    let Some(reg) = reg else { return Ok(None) };
    let partner = partners::Entity::find_by_id(reg.partner_id)
        .one(conn)
        .await?;
    Ok(partner.map(|p| (reg, p)))
}

/// Sends one digest to every staff user when confirmed requests arrived since the last one.
/// Several instances: the job row is claimed with a conditional update, so one sends.
pub async fn staff_digest(core: &Core, every: chrono::Duration) -> Result<bool, RegError> {
    use crate::entities::job_runs;
    let now = core.now();
    let last = job_runs::Entity::find_by_id("staff_digest".to_string())
        .one(&core.db.read)
        .await?;
    let since = match &last {
        Some(j) if j.last_run_at + every > now => return Ok(false),
        Some(j) => j.last_run_at,
        None => DateTime::<Utc>::MIN_UTC,
    };
    let waiting = registrations::Entity::find()
        .filter(registrations::Column::Status.eq(Status::PendingApproval.as_str()))
        .order_by_asc(registrations::Column::ConfirmedAt)
        .all(&core.db.read)
        .await?;
    if !waiting
        .iter()
        .any(|r| r.confirmed_at.is_some_and(|c| c > since))
    {
        return Ok(false);
    }
    let txn = core.db.begin().await?;
    let claimed = match last {
        None => job_runs::Entity::insert(job_runs::ActiveModel {
            name: Set("staff_digest".into()),
            last_run_at: Set(now),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(job_runs::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .map(|n| n == 1)
        .unwrap_or(false),
        Some(j) => {
            job_runs::Entity::update_many()
                .col_expr(job_runs::Column::LastRunAt, Expr::value(now))
                .filter(job_runs::Column::Name.eq("staff_digest"))
                .filter(job_runs::Column::LastRunAt.eq(j.last_run_at))
                .exec(&txn)
                .await?
                .rows_affected
                == 1
        }
    };
    if !claimed {
        return Ok(false);
    }
    let mut items = Vec::new();
    for r in &waiting {
        let (p, a) = names(&txn, r).await?;
        items.push(messages::DigestItem {
            partner: p.company_name,
            customer: a.company_name,
            waiting_since: r
                .confirmed_at
                .map(|c| c.format("%-d %b %Y, %H:%M UTC").to_string())
                .unwrap_or_default(),
        });
    }
    let staff = users::Entity::find()
        .filter(users::Column::Kind.eq("staff"))
        .filter(users::Column::Active.eq(true))
        .all(&txn)
        .await?;
    for s in staff {
        let msg = messages::StaffDigest {
            items: items
                .iter()
                .map(|i| messages::DigestItem {
                    partner: i.partner.clone(),
                    customer: i.customer.clone(),
                    waiting_since: i.waiting_since.clone(),
                })
                .collect(),
            link: core.links.url("/staff/approvals"),
        }
        .render(&s.email)?;
        outbox::enqueue(&txn, msg).await?;
    }
    core.commit(txn).await?;
    Ok(true)
}
