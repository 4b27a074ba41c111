//! Licenses once they exist: trials (one per product per account, free, with a fixed end),
//! converting a trial into a paid order, seats given to the customer's users (by the partner or
//! the customer's admins), auto-renew, and
//! the registration's Usage and Coming Expiry Date kept in step in the same transaction.
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict, Query},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{
    active_registration,
    place::{self, what, OrderInput, Placed, Placement},
    OrderError,
};
use crate::{
    domain::{
        order::{no_expiry, parse_quantity, LicenseStatus, Term},
        AccountId, LicenseId, PartnerId, ProductId, RegistrationId, UserId,
    },
    entities::{license_seats, licenses, registrations, users},
    services::{
        audit::{self, About, Actor},
        customer_prices, Core,
    },
};

/// Recomputes Usage and Coming Expiry Date of these registrations from their active licenses
/// (one statement, whatever the number of registrations).
pub async fn refresh_usage(conn: &impl ConnectionTrait, regs: &[Uuid]) -> Result<(), DbErr> {
    if regs.is_empty() {
        return Ok(());
    }
    conn.execute_raw(usage_statement(conn.get_database_backend(), regs))
        .await?;
    Ok(())
}

/// The statement `refresh_usage` runs, for a caller that writes it together with others.
pub fn usage_statement(backend: sea_orm::DbBackend, regs: &[Uuid]) -> sea_orm::Statement {
    // Each figure from the registration's active licenses, through the index on
    // (registration_id, status, ends_on). The constants are written in, not bound: custom SQL
    // binds with each backend's own marks.
    let of_active = |select: &str| {
        Expr::cust(format!(
            "(SELECT {select} FROM licenses l WHERE l.registration_id = registrations.id \
             AND l.status = 'active')"
        ))
    };
    let stmt = Query::update()
        .table(registrations::Entity)
        .value(
            registrations::Column::SeatsLicensed,
            of_active("COALESCE(SUM(l.seats), 0)"),
        )
        .value(
            registrations::Column::SeatsAssigned,
            of_active("COALESCE(SUM(l.seats_assigned), 0)"),
        )
        .value(
            registrations::Column::UsageBp,
            of_active("COALESCE(CAST(SUM(l.seats_assigned) AS BIGINT) * 10000 / SUM(l.seats), -1)"),
        )
        .value(
            registrations::Column::NextExpiry,
            of_active(&format!("COALESCE(MIN(l.ends_on), '{}')", no_expiry())),
        )
        .and_where(registrations::Column::Id.is_in(regs.iter().copied()))
        .to_owned();
    backend.build(&stmt)
}

/// Starts a free trial of a product for an active customer: seats within the product's
/// bounds (empty: its minimum), ending after the product's trial days. One per product per
/// account, ever (the database refuses a second, however fast it comes).
#[tracing::instrument(skip(core, actor))]
pub async fn start_trial(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    reg_id: RegistrationId,
    product: ProductId,
    seats: &str,
) -> Result<LicenseId, OrderError> {
    active_registration(&core.db.read, partner, reg_id).await?;
    let (_, lines) = customer_prices::lines_for(core, partner, reg_id).await?;
    let p = lines
        .into_iter()
        .map(|l| l.product)
        .find(|p| p.id == product)
        .ok_or_else(|| {
            OrderError::field(
                "product",
                "This product is not on sale (unknown or retired).",
            )
        })?;
    if p.trial_days == 0 {
        return Err(OrderError::field(
            "product",
            format!("{} has no trial: order it instead.", p.sku),
        ));
    }
    let seats = if seats.trim().is_empty() {
        p.bounds.min
    } else {
        parse_quantity(seats).map_err(|e| OrderError::field("seats", e.0))?
    };
    if !p.bounds.contains(seats) {
        return Err(OrderError::field(
            "seats",
            format!(
                "Choose from {} to {} {}.",
                p.bounds.min, p.bounds.max, p.unit
            ),
        ));
    }
    let now = core.now();
    let today = now.date_naive();
    let ends_on = Term::Trial.end(today, p.trial_days);
    let txn = core.db.begin().await?;
    let reg = active_registration(&txn, partner, reg_id).await?;
    let id = Uuid::now_v7();
    let inserted = licenses::Entity::insert(licenses::ActiveModel {
        id: Set(id),
        partner_id: Set(reg.partner_id),
        registration_id: Set(reg.id),
        account_id: Set(reg.account_id),
        product_id: Set(p.id.uuid()),
        trial: Set(true),
        seats: Set(seats as i32),
        seats_assigned: Set(0),
        currency: Set(None),
        term: Set(Term::Trial),
        starts_on: Set(today),
        ends_on: Set(ends_on),
        auto_renew: Set(false),
        status: Set(LicenseStatus::Active),
        reminded: Set(0),
        billed_until: Set(ends_on),
        created_at: Set(now),
        updated_at: Set(now),
    })
    // No ON CONFLICT: the unique index is partial, and PostgreSQL wants its predicate named.
    .exec_without_returning(&txn)
    .await;
    if let Err(e) = inserted {
        return Err(match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => OrderError::TrialTaken(p.name),
            _ => e.into(),
        });
    }
    refresh_usage(&txn, &[reg.id]).await?;
    audit::record(
        &txn,
        now,
        actor,
        "trial.started",
        About::registration(reg.partner_id, reg.account_id, id),
        &format!(
            "Trial of {}, ends {ends_on} ({} days)",
            what(seats, &p.unit, &p.name, &p.sku),
            p.trial_days
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(id.into())
}

/// Turns a trial (running or ended) into a paid order of its product; the trial's users keep
/// their seats.
pub async fn convert_trial(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    trial: LicenseId,
    input: &OrderInput,
    placement: Placement,
) -> Result<Placed, OrderError> {
    let t = licenses::Entity::find_by_id(trial.uuid())
        .filter(licenses::Column::PartnerId.eq(partner.uuid()))
        .filter(licenses::Column::Trial.eq(true))
        .one(&core.db.read)
        .await?
        .ok_or(OrderError::NotFound)?;
    let input = OrderInput {
        product: t.product_id.to_string(),
        ..input.clone()
    };
    place::place(
        core,
        actor,
        partner,
        t.registration_id.into(),
        &input,
        placement,
        Some(trial),
    )
    .await
}

/// Who changes a license's seats: its partner, or an admin of the customer's own account.
#[derive(Debug, Clone, Copy)]
pub enum Holder {
    Partner(PartnerId),
    Account(AccountId),
}

impl From<PartnerId> for Holder {
    fn from(p: PartnerId) -> Self {
        Self::Partner(p)
    }
}

impl From<AccountId> for Holder {
    fn from(a: AccountId) -> Self {
        Self::Account(a)
    }
}

/// An active license of the holder, read inside the caller's transaction. A partner also
/// needs the relationship to be active; another holder's license is not found.
async fn active_license(
    conn: &impl ConnectionTrait,
    holder: Holder,
    id: LicenseId,
) -> Result<licenses::Model, OrderError> {
    let find = licenses::Entity::find_by_id(id.uuid());
    let l = match holder {
        Holder::Partner(p) => find.filter(licenses::Column::PartnerId.eq(p.uuid())),
        Holder::Account(a) => find.filter(licenses::Column::AccountId.eq(a.uuid())),
    }
    .one(conn)
    .await?
    .ok_or(OrderError::NotFound)?;
    if let Holder::Partner(p) = holder {
        active_registration(conn, p, l.registration_id.into()).await?;
    }
    if l.status != LicenseStatus::Active {
        return Err(OrderError::Closed(l.status.label().to_lowercase()));
    }
    Ok(l)
}

/// Gives one of the license's seats to an active user of the customer's account.
#[tracing::instrument(skip(core, actor))]
pub async fn assign_seat(
    core: &Core,
    actor: &Actor,
    holder: impl Into<Holder> + std::fmt::Debug,
    license: LicenseId,
    user: UserId,
) -> Result<(), OrderError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let l = active_license(&txn, holder.into(), license).await?;
    let u = users::Entity::find_by_id(user.uuid())
        .filter(users::Column::AccountId.eq(l.account_id))
        .filter(users::Column::Active.eq(true))
        .one(&txn)
        .await?
        .ok_or_else(|| OrderError::field("user", "Choose an active user of this customer."))?;
    // Taken only while a seat is free, however many assign at once.
    let took = licenses::Entity::update_many()
        .col_expr(
            licenses::Column::SeatsAssigned,
            Expr::col(licenses::Column::SeatsAssigned).add(1),
        )
        .filter(licenses::Column::Id.eq(l.id))
        .filter(Expr::col(licenses::Column::SeatsAssigned).lt(Expr::col(licenses::Column::Seats)))
        .exec(&txn)
        .await?;
    if took.rows_affected == 0 {
        return Err(OrderError::field(
            "user",
            format!(
                "All {} seats are given: take one back or add seats first.",
                l.seats
            ),
        ));
    }
    let inserted = license_seats::Entity::insert(license_seats::ActiveModel {
        license_id: Set(l.id),
        user_id: Set(u.id),
        assigned_at: Set(now),
        assigned_by: Set(actor.label.clone()),
    })
    .on_conflict(
        OnConflict::columns([
            license_seats::Column::LicenseId,
            license_seats::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        return Err(OrderError::field(
            "user",
            format!("{} has a seat already.", u.name),
        ));
    }
    refresh_usage(&txn, &[l.registration_id]).await?;
    audit::record(
        &txn,
        now,
        actor,
        "license.seat_assigned",
        About::registration(l.partner_id, l.account_id, l.id),
        &format!("Seat given to {} <{}>", u.name, u.email),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Takes a seat back from a user.
#[tracing::instrument(skip(core, actor))]
pub async fn unassign_seat(
    core: &Core,
    actor: &Actor,
    holder: impl Into<Holder> + std::fmt::Debug,
    license: LicenseId,
    user: UserId,
) -> Result<(), OrderError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let l = active_license(&txn, holder.into(), license).await?;
    let removed = license_seats::Entity::delete_many()
        .filter(license_seats::Column::LicenseId.eq(l.id))
        .filter(license_seats::Column::UserId.eq(user.uuid()))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(OrderError::field("user", "This user has no seat on it."));
    }
    licenses::Entity::update_many()
        .col_expr(
            licenses::Column::SeatsAssigned,
            Expr::col(licenses::Column::SeatsAssigned).sub(1),
        )
        .filter(licenses::Column::Id.eq(l.id))
        .exec(&txn)
        .await?;
    refresh_usage(&txn, &[l.registration_id]).await?;
    let who = users::Entity::find_by_id(user.uuid())
        .one(&txn)
        .await?
        .map(|u| format!("{} <{}>", u.name, u.email))
        .unwrap_or_else(|| user.to_string());
    audit::record(
        &txn,
        now,
        actor,
        "license.seat_unassigned",
        About::registration(l.partner_id, l.account_id, l.id),
        &format!("Seat taken back from {who}"),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Turns a paid license's renewal on or off (off: it ends with its term).
#[tracing::instrument(skip(core, actor))]
pub async fn set_auto_renew(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    license: LicenseId,
    on: bool,
) -> Result<(), OrderError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let l = active_license(&txn, partner.into(), license).await?;
    if l.trial {
        return Err(OrderError::field(
            "auto_renew",
            "A trial does not renew: convert it into an order.",
        ));
    }
    if l.auto_renew == on {
        return Ok(());
    }
    if !on && l.billed_until > l.ends_on {
        withdraw_renewal(&txn, now, &l).await?;
    }
    licenses::Entity::update_many()
        .set(licenses::ActiveModel {
            auto_renew: Set(on),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(licenses::Column::Id.eq(l.id))
        .exec(&txn)
        .await?;
    let detail = if on {
        format!("Auto-renew on: renews on {}", l.ends_on)
    } else {
        format!("Auto-renew off: ends on {}", l.ends_on)
    };
    audit::record(
        &txn,
        now,
        actor,
        "license.auto_renew",
        About::registration(l.partner_id, l.account_id, l.id),
        &detail,
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Auto-renew turned off after the next term was invoiced: the renewal's open invoice is
/// voided and its order cancelled, and the license is billed to its term's end again. A paid
/// renewal cannot be withdrawn this way (the license renews; staff credit it back).
async fn withdraw_renewal(
    txn: &sea_orm::DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    l: &licenses::Model,
) -> Result<(), OrderError> {
    use crate::entities::{invoices, orders};
    use sea_orm::QueryOrder;
    let renewals = orders::Entity::find()
        .filter(orders::Column::LicenseId.eq(l.id))
        .filter(orders::Column::Kind.eq(crate::domain::order::OrderKind::Renewal.as_str()))
        .filter(orders::Column::Status.eq("placed"))
        .filter(orders::Column::StartsOn.gte(l.ends_on))
        .all(txn)
        .await?;
    let ids: Vec<Uuid> = renewals.iter().map(|o| o.id).collect();
    // In id order: two changes of one license lock its invoices in the same order.
    let bills = invoices::Entity::find()
        .filter(invoices::Column::OrderId.is_in(ids.clone()))
        .order_by_asc(invoices::Column::Id)
        .all(txn)
        .await?;
    use crate::domain::{
        invoice::InvoiceStatus,
        settlement::{Closing, Decision, Refusal},
    };
    use crate::services::invoices::{settlement, InvoiceError, Settled};
    let reason = "Auto-renew was turned off before the term started";
    let paid_already = |number: &str| {
        OrderError::field(
            "auto_renew",
            format!(
                "The next term, from {}, is paid already ({number}): the license renews. Staff \
                 can credit it back with a credit note.",
                l.ends_on.format("%-d %b %Y"),
            ),
        )
    };
    if let Some(paid) = bills.iter().find(|i| i.status == InvoiceStatus::Paid) {
        return Err(paid_already(&paid.number));
    }
    // Each open one is voided through the settlement executor (its row locked): a payment
    // that lands first keeps the term, and this change is refused.
    for i in bills.iter().filter(|i| i.status == InvoiceStatus::Open) {
        let ask = settlement::Ask::Close {
            how: Closing::Void,
            reason: reason.to_string(),
        };
        let done = settlement::apply_in(txn, now, i.id, &ask, &Actor::system("system"))
            .await
            .map_err(|e| match e {
                InvoiceError::Fault(f) => OrderError::Fault(f),
                e => OrderError::field("auto_renew", super::super::sentence(e)),
            })?;
        match done {
            Settled::Decided(Decision::Closed { .. })
            | Settled::Decided(Decision::Refused(Refusal::NotOpen(
                InvoiceStatus::Void | InvoiceStatus::Uncollectible,
            ))) => {}
            _ => return Err(paid_already(&i.number)),
        }
    }
    orders::Entity::update_many()
        .col_expr(orders::Column::Status, Expr::value("cancelled"))
        .col_expr(orders::Column::CancelledAt, Expr::value(now))
        .col_expr(orders::Column::CancelReason, Expr::value(reason))
        // The renewal's key is free again: turned back on, the term is invoiced anew.
        .col_expr(orders::Column::IdemKey, Expr::value(Option::<String>::None))
        .filter(orders::Column::Id.is_in(ids))
        .exec(txn)
        .await?;
    licenses::Entity::update_many()
        .col_expr(licenses::Column::BilledUntil, Expr::value(l.ends_on))
        .filter(licenses::Column::Id.eq(l.id))
        .exec(txn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usage_statement_binds_only_the_ids_on_both_databases() {
        for backend in [sea_orm::DbBackend::Postgres, sea_orm::DbBackend::Sqlite] {
            let built = usage_statement(backend, &[Uuid::nil(), Uuid::max()]);
            assert_eq!(
                built.sql.matches(['?', '$']).count(),
                built.values.map_or(0, |v| v.0.len()),
                "{}",
                built.sql
            );
        }
    }
}
