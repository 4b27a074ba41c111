//! Payment reminders to customers: on staff's schedule of days relative to the due
//! date (by default 3 days before, and 1 and 7 days after), the customer's primary address is
//! sent the open invoice's payment link. Each (invoice, day) is sent once: its row is inserted
//! with the email, in one transaction, and a second instance's insert does nothing. A day the
//! job missed is caught up within 3 days; an older one is skipped rather than sent late.
use chrono::Duration;
use sea_orm::{
    sea_query::{OnConflict, Query},
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    invoices, Core, Fault,
};
use crate::{
    email::{messages, outbox},
    entities::{accounts, invoice_reminders, invoices as invoice_rows, reminder_days},
};

/// How late a scheduled reminder may still go out.
const CATCH_UP_DAYS: i64 = 3;
/// The schedule's bounds, in days from the due date.
pub const EARLIEST: i32 = -30;
pub const LATEST: i32 = 90;

#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    #[error("Enter a whole number of days from {EARLIEST} (before the due date) to {LATEST} (after it).")]
    Day,
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(ReminderError);

/// The schedule, earliest first.
pub async fn schedule(core: &Core) -> Result<Vec<i32>, ReminderError> {
    Ok(reminder_days::Entity::find()
        .order_by_asc(reminder_days::Column::OffsetDays)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|d| d.offset_days)
        .collect())
}

/// Parses a day of the schedule as typed: "-3", "7", "+14".
pub fn parse_day(raw: &str) -> Result<i32, ReminderError> {
    raw.trim()
        .trim_start_matches('+')
        .parse::<i32>()
        .ok()
        .filter(|d| (EARLIEST..=LATEST).contains(d))
        .ok_or(ReminderError::Day)
}

/// How a day of the schedule reads ("3 days before the due date").
pub fn describe(day: i32) -> String {
    let n = day.unsigned_abs();
    let days = if n == 1 { "day" } else { "days" };
    match day {
        0 => "On the due date".into(),
        d if d < 0 => format!("{n} {days} before the due date"),
        _ => format!("{n} {days} after the due date"),
    }
}

/// Adds (`on`) or removes a day of the schedule.
pub async fn set_day(core: &Core, actor: &Actor, day: i32, on: bool) -> Result<(), ReminderError> {
    if !(EARLIEST..=LATEST).contains(&day) {
        return Err(ReminderError::Day);
    }
    let txn = core.db.begin().await?;
    if on {
        reminder_days::Entity::insert(reminder_days::ActiveModel {
            offset_days: Set(day),
        })
        .on_conflict(
            OnConflict::column(reminder_days::Column::OffsetDays)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    } else {
        reminder_days::Entity::delete_by_id(day).exec(&txn).await?;
    }
    audit::record(
        &txn,
        core.now(),
        actor,
        "reminders.schedule",
        About::default(),
        &format!(
            "{}: {}",
            if on { "Added" } else { "Removed" },
            describe(day).to_lowercase()
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

fn when(day: i32) -> String {
    let n = day.unsigned_abs();
    let days = if n == 1 { "day" } else { "days" };
    match day {
        0 => "due today".into(),
        d if d < 0 => format!("due in {n} {days}"),
        _ => format!("{n} {days} overdue"),
    }
}

/// The job: sends the reminders due now; returns how many.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn send_due(core: &Core) -> Result<usize, ReminderError> {
    let today = core.now().date_naive();
    let mut sent = 0;
    for day in schedule(core).await? {
        // Invoices whose reminder `day` falls on today or the last few days.
        let latest = today - Duration::days(i64::from(day));
        let earliest = latest - Duration::days(CATCH_UP_DAYS - 1);
        loop {
            let due: Vec<invoice_rows::Model> = invoice_rows::Entity::find()
                .filter(invoice_rows::Column::Status.eq("open"))
                .filter(invoice_rows::Column::DueOn.between(earliest, latest))
                .filter(
                    invoice_rows::Column::Id.not_in_subquery(
                        Query::select()
                            .column(invoice_reminders::Column::InvoiceId)
                            .from(invoice_reminders::Entity)
                            .and_where(invoice_reminders::Column::OffsetDays.eq(day))
                            .to_owned(),
                    ),
                )
                .order_by_asc(invoice_rows::Column::DueOn)
                .limit(200)
                .all(&core.db.read)
                .await?;
            if due.is_empty() {
                break;
            }
            let n = send_batch(core, day, &due).await?;
            if n == 0 {
                break;
            }
            sent += n;
        }
    }
    Ok(sent)
}

async fn send_batch(
    core: &Core,
    day: i32,
    due: &[invoice_rows::Model],
) -> Result<usize, ReminderError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let emails: std::collections::HashMap<Uuid, String> = accounts::Entity::find()
        .filter(accounts::Column::Id.is_in(due.iter().map(|i| i.account_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.id, a.primary_email))
        .collect();
    let mut sent = 0;
    for inv in due {
        // Claimed with the email: another instance's claim makes this a no-op.
        let claimed = invoice_reminders::Entity::insert(invoice_reminders::ActiveModel {
            invoice_id: Set(inv.id),
            offset_days: Set(day),
            sent_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                invoice_reminders::Column::InvoiceId,
                invoice_reminders::Column::OffsetDays,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        let Some(to) = emails.get(&inv.account_id) else {
            continue;
        };
        if claimed != 1 {
            continue;
        }
        let msg = messages::PaymentReminder {
            number: inv.number.clone(),
            seller: inv.seller.clone(),
            customer: inv.customer_name.clone(),
            total: invoices::settlement::state_of(inv).due().to_string(),
            due: inv.due_on.format("%-d %b %Y").to_string(),
            when: when(day),
            link: core.links.url(&invoices::link(core, inv)),
        };
        outbox::enqueue(&txn, msg.render(to)?).await?;
        audit::record(
            &txn,
            now,
            &Actor::system("system"),
            "invoice.reminded",
            About::registration(inv.partner_id, inv.account_id, inv.id),
            &format!("{}: reminder ({}) sent to {to}", inv.number, when(day)),
        )
        .await?;
        sent += 1;
    }
    core.commit(txn).await?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_days_are_whole_days_within_bounds_and_read_as_people_say_them() {
        assert_eq!(parse_day("-3").unwrap(), -3);
        assert_eq!(parse_day(" +14 ").unwrap(), 14);
        for bad in ["", "x", "1.5", "-31", "91", "9999999999"] {
            assert!(parse_day(bad).is_err(), "{bad:?}");
        }
        assert_eq!(describe(-1), "1 day before the due date");
        assert_eq!(describe(7), "7 days after the due date");
        assert_eq!(when(-3), "due in 3 days");
        assert_eq!(when(0), "due today");
        assert_eq!(when(1), "1 day overdue");
    }
}
