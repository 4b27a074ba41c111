//! Quoting and placing an order, cancelling it in its grace period, and seat changes (which
//! are orders too).
use crate::domain::order::OrderStatus;
use chrono::{Duration, NaiveDate};
use sea_orm::{
    sea_query::{Expr, OnConflict, Query},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryTrait,
};
use uuid::Uuid;

use super::{
    active_registration,
    licenses::{refresh_usage, usage_statement},
    OrderError,
};
use crate::{
    domain::{
        invoice::InvoiceStatus,
        order::{self, charge, parse_quantity, parse_start, LicenseStatus, OrderKind, Term},
        Currency, LicenseId, Money, OrderId, PartnerId, ProductId, RegistrationId,
    },
    email::{messages, outbox},
    entities::{
        accounts, audit_events, license_seats, licenses, orders, outbox as outbox_rows, partners,
        registrations,
    },
    services::{
        audit::{self, About, Actor},
        customer_prices::{self, CustomerLine},
        views::Product,
        Core,
    },
};

/// What the partner asks for, as typed (a form or the API); read against the product.
#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    /// The product's id or SKU.
    pub product: String,
    pub quantity: String,
    /// `monthly`, `yearly` or `one_off`; empty: the product's own.
    pub term: String,
    /// YYYY-MM-DD; empty: today.
    pub start: String,
    /// ISO 4217; empty: the product's first price.
    pub currency: String,
    pub auto_renew: bool,
}

/// The price, the total and the partner's margin of an order before it is placed.
#[derive(Debug, Clone)]
pub struct Quote {
    pub product: Product,
    pub term: Term,
    pub quantity: u32,
    /// Price periods in one term (a monthly product paid yearly: 12).
    pub periods: u32,
    pub starts_on: NaiveDate,
    /// The license's first term ends (subscriptions).
    pub ends_on: Option<NaiveDate>,
    pub auto_renew: bool,
    /// Unit prices per price period: list, the partner's cost, the customer's.
    pub list: Money,
    pub cost: Money,
    pub price: Money,
    pub total: Money,
    pub cost_total: Money,
    pub margin: Money,
}

/// Where an order comes from, and what makes a repeat of it the same order.
pub struct Placement {
    /// The form's key (web) or none (the API keeps its own Idempotency-Key table).
    pub key: Option<String>,
    /// `web` or `api`.
    pub via: &'static str,
}

#[derive(Debug, Clone)]
pub struct Placed {
    pub order: OrderId,
    pub number: String,
    pub license: Option<LicenseId>,
    pub total: Money,
    /// The same key was placed before: this is that order, nothing new was written.
    pub replayed: bool,
}

/// The customer's price line for a product named by id or SKU; retired and unknown products
/// are not on it.
async fn line_for(
    core: &Core,
    partner: PartnerId,
    reg: RegistrationId,
    product: &str,
) -> Result<Option<CustomerLine>, OrderError> {
    let (_, lines) = customer_prices::lines_for(core, partner, reg).await?;
    let wanted = product.trim();
    let id = wanted.parse::<ProductId>().ok();
    Ok(lines
        .into_iter()
        .find(|l| Some(l.product.id) == id || l.product.sku.eq_ignore_ascii_case(wanted)))
}

/// Reads an order against the product and the customer's prices; every refused field is
/// named. `product` fixes the product (a trial's conversion).
pub async fn quote(
    core: &Core,
    partner: PartnerId,
    reg: RegistrationId,
    input: &OrderInput,
) -> Result<Quote, OrderError> {
    active_registration(&core.db.read, partner, reg).await?;
    quote_checked(core, partner, reg, input).await
}

/// `quote` for a registration the caller has read and found active.
async fn quote_checked(
    core: &Core,
    partner: PartnerId,
    reg: RegistrationId,
    input: &OrderInput,
) -> Result<Quote, OrderError> {
    let today = core.now().date_naive();
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let line = if input.product.trim().is_empty() {
        errors.push(("product", "Choose a product.".into()));
        None
    } else {
        let line = line_for(core, partner, reg, &input.product).await?;
        if line.is_none() {
            errors.push((
                "product",
                "This product is not on sale (unknown or retired).".into(),
            ));
        }
        line
    };
    let quantity = parse_quantity(&input.quantity).map_err(|e| ("quantity", e.0));
    let start = parse_start(&input.start, today).map_err(|e| ("start", e.0));
    let (Some(line), Ok(quantity), Ok(starts_on)) = (line, quantity.clone(), start.clone()) else {
        errors.extend(quantity.err());
        errors.extend(start.err());
        return Err(OrderError::Invalid(errors));
    };
    let p = &line.product;
    if !p.bounds.contains(quantity) {
        errors.push((
            "quantity",
            format!(
                "Order from {} to {} {} of {}.",
                p.bounds.min, p.bounds.max, p.unit, p.sku
            ),
        ));
    }
    let term = Term::parse_for(&input.term, p.kind).map_err(|e| ("term", e.0));
    let currency = if input.currency.trim().is_empty() {
        p.prices.first().map(|m| m.currency).ok_or((
            "currency",
            format!("{} has no price yet: ask the provider.", p.sku),
        ))
    } else {
        Currency::parse(&input.currency)
            .map_err(|e| ("currency", e.0))
            .and_then(|c| {
                if p.price(c).is_some() {
                    Ok(c)
                } else {
                    let have: Vec<&str> = p.prices.iter().map(|m| m.currency.code()).collect();
                    Err((
                        "currency",
                        format!("{} is sold in {} only.", p.sku, have.join(", ")),
                    ))
                }
            })
    };
    let (Ok(term), Ok(currency)) = (term.clone(), currency.clone()) else {
        errors.extend(term.err());
        errors.extend(currency.err());
        return Err(OrderError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(OrderError::Invalid(errors));
    }
    let (list, cost, price, _) = line
        .prices
        .iter()
        .copied()
        .find(|(l, ..)| l.currency == currency)
        .ok_or(OrderError::NotFound)?;
    let periods = term.periods(p.kind);
    let total = charge(price, quantity, periods)?;
    let cost_total = charge(cost, quantity, periods)?;
    Ok(Quote {
        term,
        quantity,
        periods,
        starts_on,
        ends_on: p.kind.is_subscription().then(|| term.end(starts_on, 0)),
        auto_renew: input.auto_renew && p.kind.is_subscription(),
        list,
        cost,
        price,
        total,
        cost_total,
        margin: total.checked_sub(cost_total)?,
        product: line.product,
    })
}

/// An order already placed with this form key.
async fn placed_before(
    conn: &impl ConnectionTrait,
    partner: PartnerId,
    key: &str,
) -> Result<Option<Placed>, OrderError> {
    Ok(orders::Entity::find()
        .filter(orders::Column::PartnerId.eq(partner.uuid()))
        .filter(orders::Column::IdemKey.eq(key))
        .one(conn)
        .await?
        .map(|o| Placed {
            order: o.id.into(),
            number: order::order_number(o.number),
            license: o.license_id.map(Into::into),
            total: Money::new(o.total_minor, o.currency),
            replayed: true,
        }))
}

/// The order row for a quote (the caller sets kind, license, quantities).
struct Row<'a> {
    kind: OrderKind,
    reg: &'a registrations::Model,
    product: ProductId,
    license: Option<Uuid>,
    quantity: u32,
    previous: Option<u32>,
    billed: u32,
    term: Term,
    starts_on: NaiveDate,
    /// The end of the period billed (none for a one-off).
    ends_on: Option<NaiveDate>,
    list: Money,
    cost: Money,
    price: Money,
    total: Money,
    cost_total: Money,
}

/// The order's row, numbered `number`.
fn order_row(
    core: &Core,
    actor: &Actor,
    placement: &Placement,
    r: Row<'_>,
    id: Uuid,
    number: i64,
) -> orders::ActiveModel {
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    orders::ActiveModel {
        id: Set(id),
        number: Set(number),
        partner_id: Set(r.reg.partner_id),
        registration_id: Set(r.reg.id),
        account_id: Set(r.reg.account_id),
        kind: Set(r.kind),
        product_id: Set(r.product.uuid()),
        license_id: Set(r.license),
        quantity: Set(n(r.quantity)),
        previous_quantity: Set(r.previous.map(n)),
        term: Set(r.term),
        starts_on: Set(r.starts_on),
        ends_on: Set(r.ends_on),
        currency: Set(r.price.currency),
        list_minor: Set(r.list.minor),
        cost_minor: Set(r.cost.minor),
        price_minor: Set(r.price.minor),
        billed_quantity: Set(n(r.billed)),
        total_minor: Set(r.total.minor),
        cost_total_minor: Set(r.cost_total.minor),
        status: Set(OrderStatus::Placed),
        placed_by: Set(actor.user_id),
        placed_by_label: Set(actor.label.clone()),
        via: Set(placement.via.into()),
        idem_key: Set(placement.key.clone()),
        created_at: Set(core.now()),
        cancelled_at: Set(None),
        cancel_reason: Set(None),
    }
}

/// Writes the order inside the caller's transaction; `None` when the form key was used
/// meanwhile (a double click that raced the first).
async fn insert_order(
    txn: &DatabaseTransaction,
    row: orders::ActiveModel,
) -> Result<bool, OrderError> {
    let inserted = orders::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([orders::Column::PartnerId, orders::Column::IdemKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(inserted == 1)
}

/// A statement that fails, and with it every statement written together with it, unless the
/// registration is active.
fn while_active(backend: sea_orm::DbBackend, reg: Uuid) -> sea_orm::Statement {
    crate::db::guard(
        backend,
        Query::select()
            .expr(Expr::val(1))
            .from(registrations::Entity)
            .and_where(registrations::Column::Id.eq(reg))
            .and_where(registrations::Column::Status.eq(crate::domain::Status::Active))
            .to_owned(),
    )
}

/// The customer's email about an order (to its primary address).
fn customer_mail(
    core: &Core,
    account: &accounts::Model,
    partner: &str,
    news: messages::OrderNews,
) -> Result<crate::email::EmailMessage, OrderError> {
    Ok(messages::OrderNews {
        partner: partner.to_string(),
        customer: account.company_name.clone(),
        link: core.links.url("/my/partner"),
        ..news
    }
    .render(&account.primary_email)?)
}

/// The partner's own registration with its account and partner (for the customer's email),
/// in one query; another partner's registration is not found.
async fn parties(
    conn: &impl ConnectionTrait,
    partner: PartnerId,
    reg: RegistrationId,
) -> Result<(registrations::Model, accounts::Model, partners::Model), OrderError> {
    let found = registrations::Entity::find_by_id(reg.uuid())
        .filter(registrations::Column::PartnerId.eq(partner.uuid()))
        .find_also_related(accounts::Entity)
        .find_also(registrations::Entity, partners::Entity)
        .one(conn)
        .await?;
    match found {
        Some((r, Some(a), Some(p))) => Ok((r, a, p)),
        _ => Err(OrderError::NotFound),
    }
}

/// Tells the customer (its primary address) what its partner ordered on its behalf.
async fn tell_customer(
    txn: &DatabaseTransaction,
    core: &Core,
    reg: &registrations::Model,
    news: messages::OrderNews,
) -> Result<(), OrderError> {
    let (_, account, partner) = parties(txn, reg.partner_id.into(), reg.id.into()).await?;
    outbox::enqueue(
        txn,
        customer_mail(core, &account, &partner.company_name, news)?,
    )
    .await?;
    Ok(())
}

pub(super) fn what(quantity: u32, unit: &str, name: &str, sku: &str) -> String {
    format!(
        "{} of {name} ({sku})",
        crate::domain::product::quantity_of(quantity, unit)
    )
}

/// Places an order for an active customer of the partner. Everything is read first; then one
/// batch of statements, in one transaction (a group commit on SQLite), writes the order, the
/// license of a subscription, the customer's Usage and Coming Expiry Date, the audit event and
/// the customer's email, and fails whole if the registration stopped being active meanwhile.
/// `convert` turns that trial into this paid license.
#[tracing::instrument(skip(core, actor, input, placement))]
pub async fn place(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    reg_id: RegistrationId,
    input: &OrderInput,
    placement: Placement,
    convert: Option<LicenseId>,
) -> Result<Placed, OrderError> {
    if let Some(key) = &placement.key {
        if let Some(p) = placed_before(&core.db.read, partner, key).await? {
            return Ok(p);
        }
    }
    let read = &core.db.read;
    let (reg, account, partner_row) = parties(read, partner, reg_id).await?;
    if reg.status != crate::domain::Status::Active {
        return Err(OrderError::NotActive);
    }
    let q = quote_checked(core, partner, reg_id, input).await?;
    let trial = match convert {
        None => None,
        Some(id) => Some(convertible(read, &reg, id, &q).await?),
    };
    let number = core.order_numbers.take(&core.db).await?;
    let order_id = Uuid::now_v7();
    let license = q.product.kind.is_subscription().then(Uuid::now_v7);
    let kind = if trial.is_some() {
        OrderKind::Conversion
    } else {
        OrderKind::New
    };
    let now = core.now();
    let backend = core.db.backend();
    let row = order_row(
        core,
        actor,
        &placement,
        Row {
            kind,
            reg: &reg,
            product: q.product.id,
            license,
            quantity: q.quantity,
            previous: None,
            billed: q.quantity,
            term: q.term,
            starts_on: q.starts_on,
            ends_on: q.ends_on,
            list: q.list,
            cost: q.cost,
            price: q.price,
            total: q.total,
            cost_total: q.cost_total,
        },
        order_id,
        number,
    );
    let mut statements = vec![
        while_active(backend, reg.id),
        orders::Entity::insert(row).build(backend),
    ];
    if let (Some(id), Some(ends_on)) = (license, q.ends_on) {
        let row = licenses::ActiveModel {
            id: Set(id),
            partner_id: Set(reg.partner_id),
            registration_id: Set(reg.id),
            account_id: Set(reg.account_id),
            product_id: Set(q.product.id.uuid()),
            trial: Set(false),
            seats: Set(q.quantity as i32),
            seats_assigned: Set(0),
            currency: Set(Some(q.price.currency)),
            term: Set(q.term),
            starts_on: Set(q.starts_on),
            ends_on: Set(ends_on),
            auto_renew: Set(q.auto_renew),
            status: Set(LicenseStatus::Active),
            reminded: Set(0),
            billed_until: Set(ends_on),
            created_at: Set(now),
            updated_at: Set(now),
        };
        statements.push(licenses::Entity::insert(row).build(backend));
    }
    if let (Some(t), Some(id)) = (&trial, license) {
        // The trial's users keep their seats on the paid license.
        let moved = license_seats::Entity::update_many()
            .col_expr(
                license_seats::Column::LicenseId,
                sea_orm::sea_query::Expr::value(id),
            )
            .filter(license_seats::Column::LicenseId.eq(t.id));
        let seats = licenses::Entity::update_many()
            .col_expr(
                licenses::Column::SeatsAssigned,
                sea_orm::sea_query::Expr::value(t.seats_assigned),
            )
            .filter(licenses::Column::Id.eq(id));
        statements.push(moved.build(backend));
        statements.push(seats.build(backend));
    }
    statements.push(usage_statement(backend, &[reg.id]));
    let p = &q.product;
    let number_text = order::order_number(number);
    let term_text = match q.ends_on {
        Some(end) => format!(
            "{}, {} to {}",
            q.term.label().to_lowercase(),
            q.starts_on,
            end
        ),
        None => format!("one-off, {}", q.starts_on),
    };
    let detail = format!(
        "{number_text}{}: {} at {} ({term_text}); total {}",
        if trial.is_some() {
            " (trial converted)"
        } else {
            ""
        },
        what(q.quantity, &p.unit, &p.name, &p.sku),
        q.price,
        q.total
    );
    let about = About::registration(reg.partner_id, reg.account_id, order_id);
    let event = audit::event(now, actor, "order.placed", about, &detail);
    statements.push(audit_events::Entity::insert(event).build(backend));
    let mail = customer_mail(
        core,
        &account,
        &partner_row.company_name,
        messages::OrderNews {
            partner: String::new(),
            customer: String::new(),
            number: number_text.clone(),
            kind: kind.label().into(),
            what: what(q.quantity, &p.unit, &p.name, &p.sku),
            term: term_text,
            total: q.total.to_string(),
            placed_by: actor.label.clone(),
            link: String::new(),
        },
    )?;
    statements.push(outbox_rows::Entity::insert(outbox::pending(mail)).build(backend));
    let written = match &trial {
        None => core.commit_all(statements).await.map_err(OrderError::from),
        Some(t) => write_conversion(core, t, statements).await,
    };
    match written {
        Ok(()) => {
            invoice(core, order_id).await;
            Ok(Placed {
                order: order_id.into(),
                number: number_text,
                license: license.map(Into::into),
                total: q.total,
                replayed: false,
            })
        }
        Err(e) => not_placed(core, partner, &reg, &placement, e).await,
    }
}

/// What `billed` seats added to license `l` on `from` cost: the rest of the term by day, and
/// the next term whole when it is invoiced already. Returns (total, cost total, the end of the
/// period billed).
fn seats_charge(
    l: &licenses::Model,
    from: NaiveDate,
    price: Money,
    cost: Money,
    billed: u32,
    periods: u32,
) -> Result<(Money, Money, NaiveDate), OrderError> {
    let term_days = std::cmp::max((l.ends_on - l.starts_on).num_days(), 1);
    let left = (l.ends_on - from).num_days();
    let full = charge(price, billed, periods)?;
    let full_cost = charge(cost, billed, periods)?;
    let mut total = full.part(left, term_days)?;
    let mut cost_total = full_cost.part(left, term_days)?;
    let mut end = l.ends_on;
    if l.billed_until > l.ends_on {
        total = total.checked_add(full)?;
        cost_total = cost_total.checked_add(full_cost)?;
        end = l.billed_until;
    }
    Ok((total, cost_total, end))
}

/// Issues the order's invoice in a transaction of its own, right after the order. If that
/// fails, the order stands and the job issues the invoice on its next round.
async fn invoice(core: &Core, order: Uuid) {
    if let Err(e) = crate::services::invoices::issue_for_order(core, order.into()).await {
        tracing::warn!(error = %e, %order, "issuing the order's invoice failed; the job retries");
    }
}

/// A trial of this registration that can still become this quote's order.
async fn convertible(
    conn: &impl ConnectionTrait,
    reg: &registrations::Model,
    id: LicenseId,
    q: &Quote,
) -> Result<licenses::Model, OrderError> {
    let t = licenses::Entity::find_by_id(id.uuid())
        .filter(licenses::Column::RegistrationId.eq(reg.id))
        .filter(licenses::Column::Trial.eq(true))
        .one(conn)
        .await?
        .ok_or(OrderError::NotFound)?;
    if t.product_id != q.product.id.uuid() {
        return Err(OrderError::field(
            "product",
            "A trial converts into an order of its own product.",
        ));
    }
    if t.status == LicenseStatus::Converted || t.status == LicenseStatus::Cancelled {
        return Err(OrderError::Closed(t.status.label().to_lowercase()));
    }
    if q.quantity < t.seats_assigned as u32 {
        return Err(OrderError::field(
            "quantity",
            format!(
                "Order at least {}: the trial's seats are given to {} users.",
                t.seats_assigned, t.seats_assigned
            ),
        ));
    }
    Ok(t)
}

/// A conversion's statements, in a transaction that first claims the trial (it converts once,
/// however many ask at the same time).
async fn write_conversion(
    core: &Core,
    trial: &licenses::Model,
    statements: Vec<sea_orm::Statement>,
) -> Result<(), OrderError> {
    let txn = core.db.begin().await?;
    let claimed = licenses::Entity::update_many()
        .set(licenses::ActiveModel {
            status: Set(LicenseStatus::Converted),
            seats_assigned: Set(0),
            updated_at: Set(core.now()),
            ..Default::default()
        })
        .filter(licenses::Column::Id.eq(trial.id))
        .filter(licenses::Column::Status.is_in([
            LicenseStatus::Active.as_str(),
            LicenseStatus::Expired.as_str(),
        ]))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(OrderError::Closed(
            LicenseStatus::Converted.label().to_lowercase(),
        ));
    }
    crate::db::execute_all(&txn, statements).await?;
    core.commit(txn).await?;
    Ok(())
}

/// Why an order's statements were refused: the form key was used meanwhile (the order placed
/// with it is the answer), or the registration is no longer active; else the error as it came.
async fn not_placed(
    core: &Core,
    partner: PartnerId,
    reg: &registrations::Model,
    placement: &Placement,
    e: OrderError,
) -> Result<Placed, OrderError> {
    if !matches!(e, OrderError::Fault(_)) {
        return Err(e);
    }
    if let Some(key) = &placement.key {
        if let Some(first) = placed_before(&core.db.write, partner, key).await? {
            return Ok(first);
        }
    }
    active_registration(&core.db.write, partner, reg.id.into()).await?;
    Err(e)
}

/// The last day an order can be cancelled: the grace period counts from its start (or from
/// the day it was placed, when that is later).
pub fn cancellable_until(o: &orders::Model, grace: Duration) -> Option<NaiveDate> {
    if o.status != OrderStatus::Placed || matches!(o.kind, OrderKind::Seats | OrderKind::Renewal) {
        return None;
    }
    let base = Ord::max(o.starts_on, o.created_at.date_naive());
    Some(base + grace)
}

/// Cancels an order in its grace period; its license (if any) ends at once.
#[tracing::instrument(skip(core, actor))]
pub async fn cancel_order(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    id: OrderId,
    reason: &str,
) -> Result<(), OrderError> {
    let reason = reason.trim();
    if reason.chars().count() > 500 {
        return Err(OrderError::field("reason", "Use at most 500 characters."));
    }
    let txn = core.db.begin().await?;
    let o = orders::Entity::find_by_id(id.uuid())
        .filter(orders::Column::PartnerId.eq(partner.uuid()))
        .one(&txn)
        .await?
        .ok_or(OrderError::NotFound)?;
    let today = core.now().date_naive();
    match cancellable_until(&o, core.rules.order_grace) {
        None if o.status != OrderStatus::Placed => {
            return Err(OrderError::NotCancellable(
                "This order is cancelled already.".into(),
            ))
        }
        None => {
            return Err(OrderError::NotCancellable(
                "A seat change cannot be cancelled: change the seats again instead.".into(),
            ))
        }
        Some(until) if today > until => {
            return Err(OrderError::NotCancellable(format!(
                "The grace period ended on {until}: turn off auto-renew on the license instead."
            )))
        }
        Some(_) => {}
    }
    let now = core.now();
    // Its invoice is voided with it, through the settlement executor, which locks the
    // invoice's row: a payment racing this cancellation either lands first (and the order
    // stays, paid) or finds the invoice void and takes nothing.
    let invoice = crate::entities::invoices::Entity::find()
        .filter(crate::entities::invoices::Column::OrderId.eq(o.id))
        .one(&txn)
        .await?;
    if let Some(inv) = &invoice {
        use crate::domain::settlement::{Closing, Decision, Refusal};
        use crate::services::invoices::{settlement, InvoiceError, Settled};
        let ask = settlement::Ask::Close {
            how: Closing::Void,
            reason: format!("order {} was cancelled", order::order_number(o.number)),
        };
        let done = settlement::apply_in(&txn, now, inv.id, &ask, actor)
            .await
            .map_err(|e| match e {
                InvoiceError::Fault(f) => OrderError::Fault(f),
                e => OrderError::NotCancellable(super::super::sentence(e)),
            })?;
        match done {
            Settled::Decided(Decision::Closed { .. }) => {}
            Settled::Decided(Decision::Refused(Refusal::NotOpen(InvoiceStatus::Paid))) => {
                return Err(OrderError::NotCancellable(format!(
                    "Its invoice {} is paid: the provider can credit it back with a credit \
                     note instead.",
                    inv.number
                )))
            }
            // Voided or written off already: nothing is due on it.
            Settled::Decided(Decision::Refused(Refusal::NotOpen(_))) => {}
            other => {
                return Err(OrderError::NotCancellable(format!(
                    "Its invoice {} could not be voided ({other:?}).",
                    inv.number
                )))
            }
        }
    }
    let done = orders::Entity::update_many()
        .set(orders::ActiveModel {
            status: Set(OrderStatus::Cancelled),
            cancelled_at: Set(Some(now)),
            cancel_reason: Set((!reason.is_empty()).then(|| reason.to_string())),
            ..Default::default()
        })
        .filter(orders::Column::Id.eq(o.id))
        .filter(orders::Column::Status.eq("placed"))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(OrderError::NotCancellable(
            "This order is cancelled already.".into(),
        ));
    }
    if let Some(license) = o.license_id {
        licenses::Entity::update_many()
            .set(licenses::ActiveModel {
                status: Set(LicenseStatus::Cancelled),
                auto_renew: Set(false),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(licenses::Column::Id.eq(license))
            .exec(&txn)
            .await?;
        refresh_usage(&txn, &[o.registration_id]).await?;
    }
    let detail = if reason.is_empty() {
        format!("{} cancelled", order::order_number(o.number))
    } else {
        format!("{} cancelled: {reason}", order::order_number(o.number))
    };
    audit::record(
        &txn,
        now,
        actor,
        "order.cancelled",
        About::registration(o.partner_id, o.account_id, o.id),
        &detail,
    )
    .await?;
    let reg = registrations::Entity::find_by_id(o.registration_id)
        .one(&txn)
        .await?
        .ok_or(OrderError::NotFound)?;
    let product = crate::entities::products::Entity::find_by_id(o.product_id)
        .one(&txn)
        .await?
        .ok_or(OrderError::NotFound)?;
    tell_customer(
        &txn,
        core,
        &reg,
        messages::OrderNews {
            partner: String::new(),
            customer: String::new(),
            number: order::order_number(o.number),
            kind: "Cancelled".into(),
            what: what(
                o.quantity as u32,
                &product.unit,
                &product.name,
                &product.sku,
            ),
            term: "cancelled before its grace period ended; nothing is charged".into(),
            total: Money::zero(o.currency).to_string(),
            placed_by: actor.label.clone(),
            link: String::new(),
        },
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Changes a license's seats: an order of the seats added (at the customer's price of today,
/// for the license's term; the invoice prorates it) or of a reduction (charged nothing, never
/// below the seats given to users).
#[tracing::instrument(skip(core, actor, placement))]
pub async fn change_seats(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    license: LicenseId,
    seats: &str,
    placement: Placement,
) -> Result<Placed, OrderError> {
    if let Some(key) = &placement.key {
        if let Some(p) = placed_before(&core.db.read, partner, key).await? {
            return Ok(p);
        }
    }
    let l = licenses::Entity::find_by_id(license.uuid())
        .filter(licenses::Column::PartnerId.eq(partner.uuid()))
        .one(&core.db.read)
        .await?
        .ok_or(OrderError::NotFound)?;
    if l.status != LicenseStatus::Active {
        return Err(OrderError::Closed(l.status.label().to_lowercase()));
    }
    if l.trial {
        return Err(OrderError::field(
            "seats",
            "A trial's seats are fixed: convert it into an order to choose them.",
        ));
    }
    let reg_id: RegistrationId = l.registration_id.into();
    let seats = parse_quantity(seats).map_err(|e| OrderError::field("seats", e.0))?;
    let line = line_for(core, partner, reg_id, &l.product_id.to_string())
        .await?
        .ok_or_else(|| {
            OrderError::field(
                "seats",
                "This product is retired: its seats can no longer change.",
            )
        })?;
    let p = &line.product;
    if !p.bounds.contains(seats) {
        return Err(OrderError::field(
            "seats",
            format!(
                "Choose from {} to {} {}.",
                p.bounds.min, p.bounds.max, p.unit
            ),
        ));
    }
    let old = l.seats as u32;
    if seats == old {
        return Err(OrderError::field(
            "seats",
            format!("The license has {old} {} already.", p.unit),
        ));
    }
    if seats < l.seats_assigned as u32 {
        return Err(OrderError::field(
            "seats",
            format!(
                "{} seats are given to users: take some back before going below {}.",
                l.seats_assigned, l.seats_assigned
            ),
        ));
    }
    let currency = l.currency.unwrap_or(Currency::Usd);
    let (list, cost, price, _) = line
        .prices
        .iter()
        .copied()
        .find(|(l, ..)| l.currency == currency)
        .ok_or_else(|| {
            OrderError::field(
                "seats",
                format!("{} has no {currency} price any more.", p.sku),
            )
        })?;
    let term = l.term;
    let periods = term.periods(p.kind);
    let billed = seats.saturating_sub(old);
    // Seats added mid-term pay for the days left of it (by day, half to even); when the next
    // term is invoiced already, they pay for it too.
    let from = std::cmp::max(core.now().date_naive(), l.starts_on);
    let (total, cost_total, period_end) = seats_charge(&l, from, price, cost, billed, periods)?;
    let number = core.order_numbers.take(&core.db).await?;
    let order_id = Uuid::now_v7();
    let txn = core.db.begin().await?;
    let reg = active_registration(&txn, partner, reg_id).await?;
    // Another change may have landed since we read the license.
    let changed = licenses::Entity::update_many()
        .set(licenses::ActiveModel {
            seats: Set(seats as i32),
            updated_at: Set(core.now()),
            ..Default::default()
        })
        .filter(licenses::Column::Id.eq(l.id))
        .filter(licenses::Column::Seats.eq(l.seats))
        .filter(licenses::Column::Status.eq(LicenseStatus::Active.as_str()))
        .filter(licenses::Column::SeatsAssigned.lte(seats as i32))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(OrderError::field(
            "seats",
            "The license changed meanwhile: look at it again and retry.",
        ));
    }
    let row = order_row(
        core,
        actor,
        &placement,
        Row {
            kind: OrderKind::Seats,
            reg: &reg,
            product: p.id,
            license: Some(l.id),
            quantity: seats,
            previous: Some(old),
            billed,
            term,
            starts_on: from,
            ends_on: Some(period_end),
            list,
            cost,
            price,
            total,
            cost_total,
        },
        order_id,
        number,
    );
    if !insert_order(&txn, row).await? {
        txn.rollback().await?;
        let key = placement.key.as_deref().unwrap_or_default();
        return placed_before(&core.db.write, partner, key)
            .await?
            .ok_or(OrderError::NotFound);
    }
    refresh_usage(&txn, &[reg.id]).await?;
    let number_text = order::order_number(number);
    let detail = format!(
        "{number_text}: {} seats of {} ({}), was {old}; total {total}",
        seats, p.name, p.sku
    );
    audit::record(
        &txn,
        core.now(),
        actor,
        "order.placed",
        About::registration(reg.partner_id, reg.account_id, order_id),
        &detail,
    )
    .await?;
    tell_customer(
        &txn,
        core,
        &reg,
        messages::OrderNews {
            partner: String::new(),
            customer: String::new(),
            number: number_text.clone(),
            kind: OrderKind::Seats.label().into(),
            what: format!("{} (was {old})", what(seats, &p.unit, &p.name, &p.sku)),
            term: format!("{} term ending {}", term.label().to_lowercase(), l.ends_on),
            total: total.to_string(),
            placed_by: actor.label.clone(),
            link: String::new(),
        },
    )
    .await?;
    core.commit(txn).await?;
    invoice(core, order_id).await;
    Ok(Placed {
        order: order_id.into(),
        number: number_text,
        license: Some(license),
        total,
        replayed: false,
    })
}
