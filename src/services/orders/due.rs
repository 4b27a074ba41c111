//! The licenses' job: trials remind their partner 7 days and 1 day before they end; licenses
//! and trials whose end has come expire (or, with auto-renew, start their next term). Work is
//! claimed in batches inside a transaction (rows locked and skipped by other instances on
//! PostgreSQL; SQLite has one writer), so a second run, or a second instance, changes nothing.
use std::collections::HashMap;

use chrono::Duration;
use sea_orm::{
    sea_query::{Expr, LockBehavior, LockType},
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{licenses::refresh_usage, OrderError};
use crate::{
    domain::order::LicenseStatus,
    email::{messages, outbox},
    entities::{accounts, audit_events, licenses, products, users},
    services::{
        audit::{self, About, Actor},
        Core,
    },
};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DueReport {
    pub reminded: usize,
    pub expired: usize,
    pub renewed: usize,
}

const BATCH: u64 = 1000;

/// Runs every due step once, to the end of what is due now.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn licenses_due(core: &Core) -> Result<DueReport, OrderError> {
    let products: HashMap<Uuid, products::Model> = products::Entity::find()
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut report = DueReport::default();
    while let Some(n) = expire_batch(core, &products).await? {
        report.expired += n;
    }
    while let Some(n) = renew_batch(core).await? {
        report.renewed += n;
    }
    while let Some(n) = remind_batch(core, &products).await? {
        report.reminded += n;
    }
    Ok(report)
}

fn label(products: &HashMap<Uuid, products::Model>, id: Uuid) -> String {
    products
        .get(&id)
        .map(|p| format!("{} ({})", p.name, p.sku))
        .unwrap_or_else(|| id.to_string())
}

/// Expires up to a batch of licenses whose end has come (trials, and licenses that do not
/// renew); `None` when nothing is due.
async fn expire_batch(
    core: &Core,
    products: &HashMap<Uuid, products::Model>,
) -> Result<Option<usize>, OrderError> {
    let now = core.now();
    let today = now.date_naive();
    let txn = core.db.begin().await?;
    let due = licenses::Entity::find()
        .filter(licenses::Column::Status.eq(LicenseStatus::Active.as_str()))
        .filter(licenses::Column::EndsOn.lte(today))
        .filter(
            Condition::any()
                .add(licenses::Column::Trial.eq(true))
                .add(licenses::Column::AutoRenew.eq(false)),
        )
        .order_by_asc(licenses::Column::EndsOn)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if due.is_empty() {
        return Ok(None);
    }
    licenses::Entity::update_many()
        .set(licenses::ActiveModel {
            status: Set(LicenseStatus::Expired),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(licenses::Column::Id.is_in(due.iter().map(|l| l.id)))
        .exec(&txn)
        .await?;
    let system = Actor::system("system");
    let events: Vec<audit_events::ActiveModel> = due
        .iter()
        .map(|l| {
            let what = if l.trial { "Trial of" } else { "License of" };
            audit::event(
                now,
                &system,
                if l.trial {
                    "trial.expired"
                } else {
                    "license.expired"
                },
                About::registration(l.partner_id, l.account_id, l.id),
                &format!(
                    "{what} {} ended on {}",
                    label(products, l.product_id),
                    l.ends_on
                ),
            )
        })
        .collect();
    audit_events::Entity::insert_many(events)
        .exec_without_returning(&txn)
        .await?;
    let mut regs: Vec<Uuid> = due.iter().map(|l| l.registration_id).collect();
    regs.sort();
    regs.dedup();
    refresh_usage(&txn, &regs).await?;
    txn.commit().await?;
    Ok(Some(due.len()))
}

/// Starts the next term of auto-renewing licenses whose term has ended (several terms when
/// the job was down that long). Invoices for renewals come with invoicing.
async fn renew_batch(core: &Core) -> Result<Option<usize>, OrderError> {
    let now = core.now();
    let today = now.date_naive();
    let txn = core.db.begin().await?;
    let due = licenses::Entity::find()
        .filter(licenses::Column::Status.eq(LicenseStatus::Active.as_str()))
        .filter(licenses::Column::EndsOn.lte(today))
        .filter(licenses::Column::Trial.eq(false))
        .filter(licenses::Column::AutoRenew.eq(true))
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if due.is_empty() {
        return Ok(None);
    }
    let system = Actor::system("system");
    let mut regs = Vec::new();
    for l in &due {
        let term = l.term;
        let (mut start, mut end) = (l.starts_on, l.ends_on);
        while end <= today {
            start = end;
            end = term.end(start, 0);
        }
        licenses::Entity::update_many()
            .col_expr(licenses::Column::StartsOn, Expr::value(start))
            .col_expr(licenses::Column::EndsOn, Expr::value(end))
            .col_expr(licenses::Column::UpdatedAt, Expr::value(now))
            .filter(licenses::Column::Id.eq(l.id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            now,
            &system,
            "license.renewed",
            About::registration(l.partner_id, l.account_id, l.id),
            &format!("Renewed: {} seats, {start} to {end}", l.seats),
        )
        .await?;
        regs.push(l.registration_id);
    }
    regs.sort();
    regs.dedup();
    refresh_usage(&txn, &regs).await?;
    txn.commit().await?;
    Ok(Some(due.len()))
}

/// Sends the 7-day and the 1-day reminders of trials ending soon to the partner's users.
async fn remind_batch(
    core: &Core,
    products: &HashMap<Uuid, products::Model>,
) -> Result<Option<usize>, OrderError> {
    let now = core.now();
    let today = now.date_naive();
    let txn = core.db.begin().await?;
    let due = licenses::Entity::find()
        .filter(licenses::Column::Status.eq(LicenseStatus::Active.as_str()))
        .filter(licenses::Column::Trial.eq(true))
        .filter(licenses::Column::EndsOn.gt(today))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(licenses::Column::Reminded.eq(0))
                        .add(licenses::Column::EndsOn.lte(today + Duration::days(7))),
                )
                .add(
                    Condition::all()
                        .add(licenses::Column::Reminded.eq(7))
                        .add(licenses::Column::EndsOn.lte(today + Duration::days(1))),
                ),
        )
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if due.is_empty() {
        return Ok(None);
    }
    // The batch's stages, partners' users and customers' names: a few queries, not some per
    // trial.
    let stage_of = |l: &licenses::Model| {
        if (l.ends_on - today).num_days() <= 1 {
            1
        } else {
            7
        }
    };
    for stage in [1, 7] {
        let ids: Vec<Uuid> = due
            .iter()
            .filter(|l| stage_of(l) == stage)
            .map(|l| l.id)
            .collect();
        if !ids.is_empty() {
            licenses::Entity::update_many()
                .col_expr(licenses::Column::Reminded, Expr::value(stage))
                .filter(licenses::Column::Id.is_in(ids))
                .exec(&txn)
                .await?;
        }
    }
    let mut team: HashMap<Uuid, Vec<String>> = HashMap::new();
    for u in users::Entity::find()
        .filter(users::Column::PartnerId.is_in(due.iter().map(|l| l.partner_id)))
        .filter(users::Column::Active.eq(true))
        .all(&txn)
        .await?
    {
        if let Some(p) = u.partner_id {
            team.entry(p).or_default().push(u.email);
        }
    }
    let customers: HashMap<Uuid, String> = accounts::Entity::find()
        .filter(accounts::Column::Id.is_in(due.iter().map(|l| l.account_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.id, a.company_name))
        .collect();
    for l in &due {
        let days = (l.ends_on - today).num_days();
        let customer = customers.get(&l.account_id).cloned().unwrap_or_default();
        let msg = messages::TrialEnding {
            customer,
            product: label(products, l.product_id),
            ends_on: l.ends_on.format("%-d %b %Y").to_string(),
            days,
            link: core.links.url(&format!("/licenses/{}", l.id)),
        };
        for to in team.get(&l.partner_id).into_iter().flatten() {
            outbox::enqueue(&txn, msg.render(to)?).await?;
        }
    }
    core.commit(txn).await?;
    Ok(Some(due.len()))
}
