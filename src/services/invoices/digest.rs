//! The daily digest of overdue invoices to their partners.
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::super::Core;
use crate::{
    domain::invoice::InvoiceStatus,
    email::{messages, outbox},
    entities::{invoices, users},
};

use super::*;

/// Once a day at most, each partner with open invoices past their due date gets one email
/// listing them (the 20 most overdue, and how many more), with a link to its open invoices.
/// Several instances: the day's turn is claimed once.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn overdue_digest(core: &Core) -> Result<usize, InvoiceError> {
    use crate::entities::job_runs;
    const JOB: &str = "overdue_digest";
    let now = core.now();
    let today = now.date_naive();
    let last = job_runs::Entity::find_by_id(JOB.to_string())
        .one(&core.db.read)
        .await?;
    if last
        .as_ref()
        .is_some_and(|j| j.last_run_at + Duration::days(1) > now)
    {
        return Ok(0);
    }
    let overdue = invoices::Entity::find()
        .filter(invoices::Column::Status.eq(InvoiceStatus::Open))
        .filter(invoices::Column::DueOn.lt(today))
        .order_by_asc(invoices::Column::DueOn)
        .all(&core.db.read)
        .await?;
    if overdue.is_empty() {
        return Ok(0);
    }
    let txn = core.db.begin().await?;
    if !crate::services::jobs::claim(&txn, JOB, last.as_ref(), now).await? {
        return Ok(0);
    }
    let mut by_partner: std::collections::BTreeMap<Uuid, Vec<&invoices::Model>> =
        std::collections::BTreeMap::new();
    for i in &overdue {
        by_partner.entry(i.partner_id).or_default().push(i);
    }
    let mut sent = 0;
    for (partner, list) in by_partner {
        let items = list
            .iter()
            .take(20)
            .map(|i| {
                // What is still due, credit taken off.
                let total = settlement::state_of(i).due().to_string();
                let days = (today - i.due_on).num_days();
                format!(
                    "{} to {}: {total}, due {} ({days} day{} ago)",
                    i.number,
                    i.customer_name,
                    i.due_on.format("%-d %b %Y"),
                    if days == 1 { "" } else { "s" }
                )
            })
            .collect();
        let msg = messages::OverdueDigest {
            count: list.len(),
            items,
            more: list.len().saturating_sub(20),
            link: core.links.url("/invoices?status=open"),
        };
        for u in users::Entity::find()
            .filter(users::Column::PartnerId.eq(partner))
            .filter(users::Column::Active.eq(true))
            .all(&txn)
            .await?
        {
            outbox::enqueue(&txn, msg.render(&u.email)?).await?;
            sent += 1;
        }
    }
    core.commit(txn).await?;
    Ok(sent)
}
