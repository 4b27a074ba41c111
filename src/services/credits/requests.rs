//! Grants above a partner's monthly ceiling, held for the provider: the staff queue, the
//! partner's view of its customer's requests, and staff's approval (the grant applied through
//! the same path as a direct one) or refusal with a reason. Either way the requester is told
//! by email, queued in the decision's transaction.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::super::{
    audit::{self, About, Actor},
    views::User,
    Core,
};
use super::{grants::Grant, *};
use crate::{
    domain::{grant_limits::GrantRequestStatus, Money, PartnerId, RegistrationId, Status},
    email::{messages, outbox},
    entities::{credit_grant_requests as requests, partners, registrations, users},
};

/// The most requests the staff queue shows at once.
pub const QUEUE_CAP: u64 = 500;

/// A grant request as staff and the partner read it.
#[derive(Debug, Clone)]
pub struct GrantRequestView {
    pub id: Uuid,
    pub partner_id: PartnerId,
    pub partner: String,
    pub registration: RegistrationId,
    pub customer: String,
    pub amount: Money,
    pub note: String,
    pub expires_on: Option<NaiveDate>,
    /// Who asked, by name.
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub status: GrantRequestStatus,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why staff refused it.
    pub decision_note: Option<String>,
}

/// The rows with the names they are shown with (partners, customers, requesters).
async fn views(
    conn: &impl ConnectionTrait,
    rows: Vec<requests::Model>,
) -> Result<Vec<GrantRequestView>, CreditError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids = |f: fn(&requests::Model) -> Uuid| {
        let mut v: Vec<Uuid> = rows.iter().map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    let partners = partners::Entity::find()
        .filter(partners::Column::Id.is_in(ids(|r| r.partner_id)))
        .all(conn)
        .await?;
    let accounts = accounts::Entity::find()
        .filter(accounts::Column::Id.is_in(ids(|r| r.account_id)))
        .all(conn)
        .await?;
    let people = users::Entity::find()
        .filter(users::Column::Id.is_in(ids(|r| r.requested_by)))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| GrantRequestView {
            id: r.id,
            partner_id: PartnerId::from(r.partner_id),
            partner: partners
                .iter()
                .find(|p| p.id == r.partner_id)
                .map(|p| p.company_name.clone())
                .unwrap_or_default(),
            registration: RegistrationId::from(r.registration_id),
            customer: accounts
                .iter()
                .find(|a| a.id == r.account_id)
                .map(|a| a.company_name.clone())
                .unwrap_or_default(),
            amount: Money::new(r.amount_minor, r.currency),
            note: r.note,
            expires_on: r.expires_on,
            requested_by: people
                .iter()
                .find(|u| u.id == r.requested_by)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            requested_at: r.requested_at,
            status: r.status,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
        })
        .collect())
}

/// The requests waiting for the provider, oldest first (at most [`QUEUE_CAP`]).
#[tracing::instrument(skip(core), level = "debug")]
pub async fn pending_requests(core: &Core) -> Result<Vec<GrantRequestView>, CreditError> {
    let rows = requests::Entity::find()
        .filter(requests::Column::Status.eq(GrantRequestStatus::Pending))
        .order_by_asc(requests::Column::RequestedAt)
        .limit(QUEUE_CAP)
        .all(&core.db.read)
        .await?;
    views(&core.db.read, rows).await
}

/// The partner's latest requests for one of its customers, newest first; another partner's
/// customer is not found.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn requests_of(
    core: &Core,
    partner: PartnerId,
    reg: RegistrationId,
) -> Result<Vec<GrantRequestView>, CreditError> {
    own_registration(&core.db.read, partner, reg).await?;
    let rows = requests::Entity::find()
        .filter(requests::Column::PartnerId.eq(partner.uuid()))
        .filter(requests::Column::RegistrationId.eq(reg.uuid()))
        .order_by_desc(requests::Column::RequestedAt)
        .limit(20)
        .all(&core.db.read)
        .await?;
    views(&core.db.read, rows).await
}

/// What staff decided, for the page that tells them.
#[derive(Debug, Clone)]
pub struct Decided {
    pub partner: String,
    pub customer: String,
    pub amount: Money,
}

/// Marks a pending request decided, in the caller's transaction; refused as already decided
/// when it is no longer pending (another staff member decided it first), so it is decided
/// once.
async fn mark_decided(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    staff: &Actor,
    id: Uuid,
    status: GrantRequestStatus,
    note: Option<String>,
) -> Result<(), CreditError> {
    let done = requests::Entity::update_many()
        .col_expr(requests::Column::Status, Expr::value(status))
        .col_expr(requests::Column::DecidedBy, Expr::value(staff.user_id))
        .col_expr(requests::Column::DecidedAt, Expr::value(now))
        .col_expr(requests::Column::DecisionNote, Expr::value(note))
        .filter(requests::Column::Id.eq(id))
        .filter(requests::Column::Status.eq(GrantRequestStatus::Pending))
        .exec(txn)
        .await?;
    if done.rows_affected == 1 {
        return Ok(());
    }
    let now_is = requests::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(CreditError::NotFound)?
        .status;
    Err(CreditError::AlreadyDecided(now_is))
}

/// The request, still pending, or why it cannot be decided.
async fn pending_one(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<requests::Model, CreditError> {
    let r = requests::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(CreditError::NotFound)?;
    if !r.status.is_pending() {
        return Err(CreditError::AlreadyDecided(r.status));
    }
    Ok(r)
}

/// Queues the email that tells the requester what was decided.
async fn tell_requester(
    core: &Core,
    txn: &DatabaseTransaction,
    requester: &users::Model,
    customer: &str,
    req: &requests::Model,
    refusal: Option<&str>,
) -> Result<(), CreditError> {
    let msg = messages::GrantDecision {
        name: requester.name.clone(),
        customer: customer.to_string(),
        amount: Money::new(req.amount_minor, req.currency).to_string(),
        approved: refusal.is_none(),
        reason: refusal.unwrap_or_default().to_string(),
        link: core
            .links
            .url(&format!("/customers/{}/credits", req.registration_id)),
    }
    .render(&requester.email)?;
    outbox::enqueue(txn, msg).await?;
    Ok(())
}

async fn names(
    txn: &DatabaseTransaction,
    req: &requests::Model,
) -> Result<(users::Model, String, String), CreditError> {
    let requester = users::Entity::find_by_id(req.requested_by)
        .one(txn)
        .await?
        .ok_or(CreditError::NotFound)?;
    let customer = accounts::Entity::find_by_id(req.account_id)
        .one(txn)
        .await?
        .map(|a| a.company_name)
        .unwrap_or_default();
    let partner = partners::Entity::find_by_id(req.partner_id)
        .one(txn)
        .await?
        .map(|p| p.company_name)
        .unwrap_or_default();
    Ok((requester, customer, partner))
}

/// Staff approve a pending request: in one transaction the registration and the partner are
/// checked again, the request becomes approved (only if still pending: two staff approving
/// at once apply it once) and the grant is written through the same path as a direct grant,
/// in the requester's name. The requester is emailed.
#[tracing::instrument(skip(core, staff))]
pub async fn approve_request(core: &Core, staff: &Actor, id: Uuid) -> Result<Decided, CreditError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let req = pending_one(&txn, id).await?;
    let reg = registrations::Entity::find_by_id(req.registration_id)
        .one(&txn)
        .await?
        .ok_or(CreditError::NotFound)?;
    if reg.status != Status::Active || reg.partner_id != req.partner_id {
        return Err(CreditError::Stale(
            "The customer is no longer the partner's: the grant cannot be applied. Refuse it \
             instead.",
        ));
    }
    if req.expires_on.is_some_and(|d| d < now.date_naive()) {
        return Err(CreditError::Stale(
            "The grant's last day of use has passed: it cannot be applied. Refuse it instead.",
        ));
    }
    lock_account(&txn, req.account_id).await?;
    if !lock_partner(&txn, req.partner_id).await?.active {
        return Err(CreditError::PartnerSuspended);
    }
    // Decided meanwhile: refused, nothing written.
    mark_decided(&txn, now, staff, id, GrantRequestStatus::Approved, None).await?;
    let (requester, customer, partner) = names(&txn, &req).await?;
    let amount = Money::new(req.amount_minor, req.currency);
    // The grant stays the requester's (it counts in their month), approved by staff.
    let on_behalf = Actor {
        user_id: Some(requester.id),
        label: format!(
            "{}, approved by {}",
            User::from(requester.clone()).label(),
            staff.label
        ),
    };
    apply(
        &txn,
        now,
        &on_behalf,
        &reg,
        Grant {
            amount,
            note: &req.note,
            expires_on: req.expires_on,
        },
    )
    .await?;
    audit::record(
        &txn,
        now,
        staff,
        "credit.grant_approved",
        About::registration(req.partner_id, req.account_id, reg.id),
        &format!("{amount} of promotional credit asked by {}", requester.name),
    )
    .await?;
    tell_requester(core, &txn, &requester, &customer, &req, None).await?;
    core.commit(txn).await?;
    Ok(Decided {
        partner,
        customer,
        amount,
    })
}

/// Staff refuse a pending request, saying why; nothing is granted. The requester is emailed.
#[tracing::instrument(skip(core, staff, why))]
pub async fn refuse_request(
    core: &Core,
    staff: &Actor,
    id: Uuid,
    why: &str,
) -> Result<Decided, CreditError> {
    let why = reason(why).map_err(|e| match e {
        CreditError::Invalid { message, .. } => CreditError::field("reason", message),
        e => e,
    })?;
    let now = core.now();
    let txn = core.db.begin().await?;
    let req = pending_one(&txn, id).await?;
    mark_decided(
        &txn,
        now,
        staff,
        id,
        GrantRequestStatus::Refused,
        Some(why.clone()),
    )
    .await?;
    let (requester, customer, partner) = names(&txn, &req).await?;
    let amount = Money::new(req.amount_minor, req.currency);
    audit::record(
        &txn,
        now,
        staff,
        "credit.grant_request_refused",
        About::registration(req.partner_id, req.account_id, req.registration_id),
        &format!(
            "{amount} of promotional credit asked by {}: {why}",
            requester.name
        ),
    )
    .await?;
    tell_requester(core, &txn, &requester, &customer, &req, Some(&why)).await?;
    core.commit(txn).await?;
    Ok(Decided {
        partner,
        customer,
        amount,
    })
}
