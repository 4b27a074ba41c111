//! Drains the outbox. Each round claims due messages with a lease (on PostgreSQL
//! `FOR UPDATE SKIP LOCKED`, so several instances never take the same message), sends them,
//! and marks each sent, or schedules a retry with exponential backoff. A message whose
//! attempts run out is marked `failed` and logged. The claim and the round's outcomes are
//! each one `Db::commit_all` job, so on SQLite they share commits with the requests' writes.
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, LockBehavior, LockType},
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use tokio::sync::Notify;
use uuid::Uuid;

use super::{EmailMessage, Mailer};
use crate::{db::Db, domain::mail::MailStatus, entities::outbox};

const BATCH: u64 = 20;
const LEASE: chrono::Duration = chrono::Duration::minutes(5);
pub const MAX_ATTEMPTS: i32 = 12;

pub struct Worker {
    pub db: Db,
    pub mailer: Mailer,
    pub from: String,
    pub retry_base: Duration,
    pub poll: Duration,
    pub wake: Arc<Notify>,
    /// Counts finished rounds: what "the worker has run since" means to an observer.
    pub rounds: Arc<AtomicU64>,
}

impl Worker {
    pub async fn run(self) {
        loop {
            let result = self.round().await;
            self.rounds.fetch_add(1, Ordering::Release);
            match result {
                Ok(n) if n as u64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox round failed"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Claims, sends and settles one batch; returns how many were claimed.
    pub async fn round(&self) -> anyhow::Result<usize> {
        let now = Utc::now();
        let due = || {
            outbox::Entity::find()
                .select_only()
                .column(outbox::Column::Id)
                .filter(outbox::Column::Status.eq(MailStatus::Pending))
                .filter(outbox::Column::NextAttemptAt.lte(now))
                .filter(
                    Condition::any()
                        .add(outbox::Column::LockedUntil.is_null())
                        .add(outbox::Column::LockedUntil.lt(now)),
                )
        };
        // The candidates, read without taking the writer (usually nothing is due).
        let candidates: Vec<Uuid> = due()
            .order_by_asc(outbox::Column::NextAttemptAt)
            .limit(BATCH)
            .into_tuple()
            .all(&self.db.read)
            .await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        // The claim is one UPDATE whose subquery checks the candidates again under the write
        // lock (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances never take the same
        // row; SQLite serialises writers). It leases them under this round's id and joins the
        // group commit.
        let round = Uuid::now_v7();
        let pick = due()
            .filter(outbox::Column::Id.is_in(candidates.clone()))
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .into_query();
        let claim = outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::value(now + LEASE))
            .col_expr(outbox::Column::LockedBy, Expr::value(round))
            .filter(outbox::Column::Id.in_subquery(pick))
            .build(self.db.backend());
        self.db.commit_all(vec![claim]).await?;
        let claimed = outbox::Entity::find()
            .filter(outbox::Column::Id.is_in(candidates))
            .filter(outbox::Column::LockedBy.eq(round))
            .all(&self.db.read)
            .await?;
        let n = claimed.len();
        let mut settled = Vec::with_capacity(n);
        for row in claimed {
            let msg = EmailMessage {
                to: row.to_addr.clone(),
                subject: row.subject.clone(),
                text: row.text_body.clone(),
                html: row.html_body.clone(),
            };
            let result = self.mailer.send(&self.from, &msg).await;
            let id = row.id;
            settled.push(
                outbox::Entity::update_many()
                    .set(self.settle(row, result))
                    .filter(outbox::Column::Id.eq(id))
                    .build(self.db.backend()),
            );
        }
        // One commit for the round's outcomes (a crash before it re-sends them once the lease
        // ends: delivery is at least once either way).
        self.db.commit_all(settled).await?;
        Ok(n)
    }

    /// The row's new state after a send attempt.
    fn settle(&self, row: outbox::Model, result: anyhow::Result<()>) -> outbox::ActiveModel {
        let attempts = row.attempts + 1;
        let mut update = outbox::ActiveModel {
            attempts: Set(attempts),
            locked_until: Set(None),
            locked_by: Set(None),
            ..Default::default()
        };
        match result {
            Ok(()) => {
                tracing::info!(outbox_id = %row.id, "email sent");
                update.status = Set(MailStatus::Sent);
                update.sent_at = Set(Some(Utc::now()));
                update.last_error = Set(None);
            }
            Err(e) => {
                let delay = backoff(self.retry_base, attempts);
                tracing::warn!(outbox_id = %row.id, attempts, error = %e, "email not sent; will retry");
                update.last_error = Set(Some(e.to_string()));
                if attempts >= MAX_ATTEMPTS {
                    tracing::error!(outbox_id = %row.id, "email given up after {attempts} attempts");
                    update.status = Set(MailStatus::Failed);
                } else {
                    update.next_attempt_at = Set(Utc::now()
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1)));
                }
            }
        }
        update
    }
}

/// base × 2^(attempts-1), at most one hour.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(1, 20) as u32 - 1);
    (base.saturating_mul(factor)).min(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_secs(2);
        assert_eq!(backoff(b, 1), Duration::from_secs(2));
        assert_eq!(backoff(b, 2), Duration::from_secs(4));
        assert_eq!(backoff(b, 5), Duration::from_secs(32));
        assert_eq!(backoff(b, 40), Duration::from_secs(3600));
    }
}
