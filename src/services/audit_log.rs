//! The audit log as provider staff read it: every event, newest first, narrowed by partner,
//! account, actor and a date range. Writing events stays in `audit`.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{
    search::{self, ilike, Doc},
    views::AuditEntry,
    Core,
};
use crate::entities::audit_events;

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub partner: Option<Uuid>,
    pub account: Option<Uuid>,
    /// Part of the actor's label (name, email, "system"…), in any case.
    pub actor: String,
    /// Events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events before this instant (exclusive), so a whole last day is included.
    pub before: Option<DateTime<Utc>>,
    pub offset: u64,
    pub limit: u64,
}

/// One page of events. Fetches `limit + 1` rows so the caller knows whether a next page exists
/// without counting a table that only grows.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn list(core: &Core, q: &AuditQuery) -> Result<Vec<AuditEntry>, DbErr> {
    let mut cond = Condition::all();
    if let Some(p) = q.partner {
        cond = cond.add(audit_events::Column::PartnerId.eq(p));
    }
    if let Some(a) = q.account {
        cond = cond.add(audit_events::Column::AccountId.eq(a));
    }
    let id = (audit_events::Entity, audit_events::Column::Id);
    let actor = search::matching(&core.db, id, Doc::Audit, &q.actor, |p| {
        Condition::all().add(ilike(audit_events::Column::ActorLabel, p))
    })
    .await?;
    if let Some(actor) = actor {
        cond = cond.add(actor);
    }
    if let Some(from) = q.from {
        cond = cond.add(audit_events::Column::At.gte(from));
    }
    if let Some(before) = q.before {
        cond = cond.add(audit_events::Column::At.lt(before));
    }
    audit_events::Entity::find()
        .filter(cond)
        .order_by_desc(audit_events::Column::At)
        .order_by_desc(audit_events::Column::Id)
        .offset(q.offset)
        .limit(q.limit + 1)
        .all(&core.db.read)
        .await
        .map(|rows| rows.into_iter().map(AuditEntry::from).collect())
}

/// What a customer's users see of what was done on their account's behalf (`/my/activity`):
/// orders, licenses and seats, trials, invoices, payments and credits, the account's users
/// it invited, changed or removed, and Login As sessions,
/// by the account's current partner (or the system, for its jobs), newest first. Nothing of
/// another partner's, and no staff notes.
pub const CUSTOMER_VISIBLE: [&str; 8] = [
    "order.",
    "license.",
    "trial.",
    "invoice.",
    "credit.",
    "login_as.",
    "seat.",
    "account_user.",
];

pub async fn for_customer(
    core: &Core,
    account: Uuid,
    partner: Option<Uuid>,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbErr> {
    let Some(partner) = partner else {
        return Ok(Vec::new());
    };
    let mut kinds = Condition::any();
    for prefix in CUSTOMER_VISIBLE {
        kinds = kinds.add(audit_events::Column::Action.starts_with(prefix));
    }
    audit_events::Entity::find()
        .filter(audit_events::Column::AccountId.eq(account))
        .filter(audit_events::Column::PartnerId.eq(partner))
        .filter(kinds)
        // Refused Login As attempts are the partner's business, not a session.
        .filter(audit_events::Column::Action.ne("login_as.refused"))
        .order_by_desc(audit_events::Column::At)
        .order_by_desc(audit_events::Column::Id)
        .limit(limit)
        .all(&core.db.read)
        .await
        .map(|rows| rows.into_iter().map(AuditEntry::from).collect())
}
