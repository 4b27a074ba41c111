//! Background jobs every instance runs: lapsed confirmation requests expire, staff get their
//! digest, trials remind and licenses expire or renew, expired sessions are purged. Each job is
//! safe to run on several instances at once.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, DbErr, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{registrations, Core};
use crate::{
    domain::{registration::Status, UserKind},
    email::{messages, outbox},
    entities::{accounts, job_runs, partners, registrations as regs, users},
};

pub async fn run(core: Arc<Core>, every: Duration) {
    let mut ticks: u64 = 0;
    loop {
        if let Err(e) = registrations::expire_due(&core).await {
            tracing::warn!(error = %e, "expiring registrations failed");
        }
        if let Err(e) = staff_digest(&core).await {
            tracing::warn!(error = %e, "staff digest failed");
        }
        // Renewals are invoiced before licenses renew, so a term that starts today is billed.
        if let Err(e) = super::renewals::renewal_invoices(&core).await {
            tracing::warn!(error = %e, "renewal invoices failed");
        }
        if let Err(e) = super::orders::licenses_due(&core).await {
            tracing::warn!(error = %e, "license reminders, expiry or renewal failed");
        }
        if let Err(e) = super::credits::expire_due(&core).await {
            tracing::warn!(error = %e, "expiring credits failed");
        }
        if let Err(e) = super::invoices::issue_missing(&core).await {
            tracing::warn!(error = %e, "issuing invoices left behind failed");
        }
        if let Err(e) = super::reminders::send_due(&core).await {
            tracing::warn!(error = %e, "payment reminders failed");
        }
        if let Err(e) = super::invoices::overdue_digest(&core).await {
            tracing::warn!(error = %e, "the overdue invoices digest failed");
        }
        if let Err(e) = super::commission::close_months(&core).await {
            tracing::warn!(error = %e, "closing the month's commission statements failed");
        }
        if let Err(e) = super::paid_12m::recompute_stale(&core, ticks.is_multiple_of(120)).await {
            tracing::warn!(error = %e, "recomputing the customers' 12-month revenue failed");
        }
        if ticks.is_multiple_of(60) {
            if let Err(e) = super::user_sessions::purge_expired(&core.db.write).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
            if let Err(e) = super::idempotency::forget_expired(&core).await {
                tracing::warn!(error = %e, "forgetting expired idempotency keys failed");
            }
        }
        ticks += 1;
        core.beats
            .jobs
            .fetch_add(1, std::sync::atomic::Ordering::Release);
        tokio::time::sleep(every).await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Email(#[from] askama::Error),
}

/// Takes a job's turn inside `txn`: records `now` as its last run, if no other instance took
/// this turn since `last` was read (a conditional update; the first run: an insert).
pub async fn claim(
    txn: &sea_orm::DatabaseTransaction,
    job: &str,
    last: Option<&job_runs::Model>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(match last {
        None => job_runs::Entity::insert(job_runs::ActiveModel {
            name: Set(job.into()),
            last_run_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(job_runs::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await
        .map(|n| n == 1)
        .unwrap_or(false),
        Some(j) => {
            job_runs::Entity::update_many()
                .col_expr(job_runs::Column::LastRunAt, Expr::value(now))
                .filter(job_runs::Column::Name.eq(job))
                .filter(job_runs::Column::LastRunAt.eq(j.last_run_at))
                .exec(txn)
                .await?
                .rows_affected
                == 1
        }
    })
}

/// A digest lists at most this many requests, the longest waiting, and counts the rest.
const DIGEST_LISTS: u64 = 50;

/// Sends one digest to every staff user when confirmed requests arrived since the last one,
/// at most once per `Rules::digest_every`. Several instances: the job row is claimed with a
/// conditional update, so one sends.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn staff_digest(core: &Core) -> Result<bool, JobError> {
    const JOB: &str = "staff_digest";
    let now = core.now();
    let last = job_runs::Entity::find_by_id(JOB.to_string())
        .one(&core.db.read)
        .await?;
    let since = match &last {
        Some(j) if j.last_run_at + core.rules.digest_every > now => return Ok(false),
        Some(j) => Some(j.last_run_at),
        None => None,
    };
    // Anything confirmed since the last digest? One row through (status, confirmed_at).
    let news = regs::Entity::find()
        .select_only()
        .column(regs::Column::Id)
        .filter(regs::Column::Status.eq(Status::PendingApproval))
        .filter(match since {
            Some(since) => regs::Column::ConfirmedAt.gt(since),
            None => regs::Column::ConfirmedAt.is_not_null(),
        })
        .limit(1)
        .into_tuple::<uuid::Uuid>()
        .one(&core.db.read)
        .await?;
    if news.is_none() {
        return Ok(false);
    }
    let txn = core.db.begin().await?;
    let claimed = claim(&txn, JOB, last.as_ref(), now).await?;
    if !claimed {
        return Ok(false);
    }
    // The longest waiting, with their names, in one query; the rest are counted.
    let total = regs::Entity::find()
        .filter(regs::Column::Status.eq(Status::PendingApproval))
        .count(&txn)
        .await?;
    #[derive(sea_orm::FromQueryResult)]
    struct Waiting {
        partner: String,
        customer: String,
        confirmed_at: Option<DateTime<Utc>>,
    }
    let oldest = regs::Entity::find()
        .select_only()
        .column_as(partners::Column::CompanyName, "partner")
        .column_as(accounts::Column::CompanyName, "customer")
        .column(regs::Column::ConfirmedAt)
        .join(
            JoinType::InnerJoin,
            regs::Entity::belongs_to(partners::Entity)
                .from(regs::Column::PartnerId)
                .to(partners::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            regs::Entity::belongs_to(accounts::Entity)
                .from(regs::Column::AccountId)
                .to(accounts::Column::Id)
                .into(),
        )
        .filter(regs::Column::Status.eq(Status::PendingApproval))
        .order_by_asc(regs::Column::ConfirmedAt)
        .order_by_asc(regs::Column::Id)
        .limit(DIGEST_LISTS)
        .into_model::<Waiting>()
        .all(&txn)
        .await?;
    let items: Vec<_> = oldest
        .into_iter()
        .map(|w| messages::DigestItem {
            partner: w.partner,
            customer: w.customer,
            waiting_since: w
                .confirmed_at
                .map(|c| c.format("%-d %b %Y, %H:%M UTC").to_string())
                .unwrap_or_default(),
        })
        .collect();
    let staff = users::Entity::find()
        .filter(users::Column::Kind.eq(UserKind::Staff))
        .filter(users::Column::Active.eq(true))
        .all(&txn)
        .await?;
    let digest = messages::StaffDigest {
        more: total.saturating_sub(items.len() as u64),
        total,
        items,
        link: core.links.url("/staff/approvals"),
    };
    for s in staff {
        outbox::enqueue(&txn, digest.render(&s.email)?).await?;
    }
    core.commit(txn).await?;
    Ok(true)
}
