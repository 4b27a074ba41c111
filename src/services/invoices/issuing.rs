//! Issuing: the invoice of a placed order (once, numbered without gaps per year in its own
//! transaction, tax by the customer's country), and the job that issues any left behind.
use crate::domain::order::OrderStatus;
use chrono::{Datelike, Duration};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::super::{
    audit::{self, About, Actor},
    counters, Core, Fault,
};
use crate::{
    domain::{
        invoice::{counter_name, invoice_number, line_tax, InvoiceKind, InvoiceStatus},
        order::{order_number, OrderKind},
        product::quantity_of,
        Money, OrderId,
    },
    entities::{
        accounts, counters as counter_rows, invoice_lines, invoices, orders, partners, products,
        tax_rates,
    },
    security::tokens::hash_token,
};

use super::*;

/// Issues the invoice of a placed order that charges something, once: a second call (or a
/// second instance) finds it issued. Returns the invoice's id when one exists.
#[tracing::instrument(skip(core))]
pub async fn issue_for_order(core: &Core, order: OrderId) -> Result<Option<Uuid>, InvoiceError> {
    match issue(core, order).await {
        // Issued meanwhile by another instance or the job: that invoice is the answer.
        Err(InvoiceError::Fault(Fault::Db(e)))
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(invoices::Entity::find()
                .filter(invoices::Column::OrderId.eq(order.uuid()))
                .one(&core.db.write)
                .await?
                .map(|i| i.id))
        }
        other => other,
    }
}

pub(super) async fn issue(core: &Core, order: OrderId) -> Result<Option<Uuid>, InvoiceError> {
    let txn = core.db.begin().await?;
    let Some(o) = orders::Entity::find_by_id(order.uuid()).one(&txn).await? else {
        return Err(InvoiceError::NotFound);
    };
    if let Some(existing) = invoices::Entity::find()
        .filter(invoices::Column::OrderId.eq(o.id))
        .one(&txn)
        .await?
    {
        return Ok(Some(existing.id));
    }
    if o.status != OrderStatus::Placed || o.total_minor <= 0 {
        return Ok(None);
    }
    let account = accounts::Entity::find_by_id(o.account_id)
        .one(&txn)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    let partner = partners::Entity::find_by_id(o.partner_id)
        .one(&txn)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    let product = products::Entity::find_by_id(o.product_id)
        .one(&txn)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    let rate_bp = tax_rates::Entity::find_by_id(account.country.clone())
        .one(&txn)
        .await?
        .map_or(0, |r| r.rate_bp);
    let now = core.now();
    let year = now.year();
    let seq = next_in_year(&txn, year, 1).await?;
    let id = Uuid::now_v7();
    let made = order_invoice(
        core,
        Issue {
            id,
            year,
            seq,
            order: &o,
            product: &product,
            seller: &partner.company_name,
            account: &account,
            rate_bp,
        },
    )?;
    let issued = made.invoice.clone();
    invoices::Entity::insert(made.invoice)
        .exec_without_returning(&txn)
        .await?;
    crate::services::commission::execute(
        &txn,
        crate::services::commission::on_issued_row(txn.get_database_backend(), &issued),
    )
    .await?;
    invoice_lines::Entity::insert(made.line)
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        &Actor::system("system"),
        "invoice.issued",
        About::registration(o.partner_id, o.account_id, id),
        &made.detail,
    )
    .await?;
    core.commit(txn).await?;
    Ok(Some(id))
}

/// What an invoice for an order is made of.
pub(crate) struct Issue<'a> {
    pub id: Uuid,
    pub year: i32,
    pub seq: i64,
    pub order: &'a orders::Model,
    pub product: &'a products::Model,
    pub seller: &'a str,
    pub account: &'a accounts::Model,
    pub rate_bp: i32,
}

/// An order's invoice, ready to insert, and what the audit log says of it.
pub(crate) struct Made {
    pub invoice: invoices::ActiveModel,
    pub line: invoice_lines::ActiveModel,
    pub detail: String,
    pub total: Money,
}

/// The invoice and its one line for an order: the line copies the order's unit price, units
/// and total; tax by the customer's country's rate, half to even. Due `invoice_due` later.
pub(crate) fn order_invoice(core: &Core, i: Issue<'_>) -> Result<Made, InvoiceError> {
    let o = i.order;
    let currency = o.currency;
    let amount = Money::new(o.total_minor, currency);
    let tax = line_tax(amount, i.rate_bp).map_err(|_| InvoiceError::NotFound)?;
    let now = core.now();
    let term = o.term;
    let kind = o.kind;
    let mut description = format!(
        "{} ({}), {}",
        i.product.name,
        i.product.sku,
        quantity_of(o.billed_quantity as u32, &i.product.unit)
    );
    let period = |end: Option<chrono::NaiveDate>| match end {
        Some(end) => format!(
            "{} to {}",
            o.starts_on.format("%-d %b %Y"),
            end.format("%-d %b %Y")
        ),
        None => o.starts_on.format("%-d %b %Y").to_string(),
    };
    match kind {
        OrderKind::Seats => description.push_str(&format!(
            ", seats added ({} → {}), by day for {}",
            o.previous_quantity.unwrap_or_default(),
            o.quantity,
            period(o.ends_on)
        )),
        OrderKind::Renewal => description.push_str(&format!(", renewal for {}", period(o.ends_on))),
        _ => {}
    }
    description.push_str(&format!(", {} — {}", term.label(), order_number(o.number)));
    let invoice = invoices::ActiveModel {
        id: Set(i.id),
        number: Set(invoice_number(i.year, i.seq)),
        year: Set(i.year),
        seq: Set(i.seq),
        partner_id: Set(o.partner_id),
        registration_id: Set(o.registration_id),
        account_id: Set(o.account_id),
        order_id: Set(Some(o.id)),
        kind: Set(if kind == OrderKind::Renewal {
            InvoiceKind::Renewal
        } else {
            InvoiceKind::Order
        }),
        currency: Set(o.currency),
        subtotal_minor: Set(amount.minor),
        tax_minor: Set(tax.minor),
        total_minor: Set(amount.minor + tax.minor),
        status: Set(InvoiceStatus::Open),
        issued_at: Set(now),
        due_on: Set(now.date_naive() + core.rules.invoice_due),
        paid_at: Set(None),
        closed_at: Set(None),
        close_reason: Set(None),
        pay_token_hash: Set(hash_token(&pay_token(&core.links.pay_key, i.id, 0))),
        link_version: Set(0),
        seller: Set(i.seller.to_string()),
        customer_name: Set(i.account.company_name.clone()),
        customer_country: Set(i.account.country.clone()),
        credit_minor: Set(0),
        credit_of: Set(None),
    };
    let line = invoice_lines::ActiveModel {
        id: Set(Uuid::now_v7()),
        invoice_id: Set(i.id),
        position: Set(1),
        description: Set(description),
        product_id: Set(Some(o.product_id)),
        quantity: Set(o.billed_quantity),
        unit_minor: Set(o.price_minor),
        amount_minor: Set(amount.minor),
        tax_bp: Set(i.rate_bp),
        tax_minor: Set(tax.minor),
        period_start: Set(Some(o.starts_on)),
        period_end: Set(o.ends_on),
    };
    let total = Money::new(amount.minor + tax.minor, currency);
    Ok(Made {
        invoice,
        line,
        detail: format!(
            "{} for {}: {total} (tax {tax})",
            invoice_number(i.year, i.seq),
            order_number(o.number)
        ),
        total,
    })
}

/// The next number of `year`, inside the invoice's transaction: the counter row is made the
/// first time, then taken with a row lock until the transaction ends, so two instances wait
/// for each other and a rolled-back invoice leaves no gap.
pub(crate) async fn next_in_year(
    conn: &impl ConnectionTrait,
    year: i32,
    n: i64,
) -> Result<i64, InvoiceError> {
    next_in_series(conn, &counter_name(year), n).await
}

/// The same for any yearly series (credit notes): the counter row is made the first time,
/// then taken with a row lock until the transaction ends.
pub(crate) async fn next_in_series(
    conn: &impl ConnectionTrait,
    name: &str,
    n: i64,
) -> Result<i64, InvoiceError> {
    counter_rows::Entity::insert(counter_rows::ActiveModel {
        name: Set(name.to_string()),
        value: Set(0),
    })
    .on_conflict(
        OnConflict::column(counter_rows::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    // The last of the `n` numbers taken: they are `last - n + 1 ..= last`.
    Ok(counters::next_n(conn, name, n).await?)
}

/// Issues the invoices of placed orders (of the last week) left without one: the server
/// stopped between an order and its invoice. One query finds them; safe on several instances.
pub async fn issue_missing(core: &Core) -> Result<usize, InvoiceError> {
    use sea_orm::{JoinType, QuerySelect};
    let since = core.now() - Duration::days(7);
    let waiting: Vec<Uuid> = orders::Entity::find()
        .select_only()
        .column(orders::Column::Id)
        .join(
            JoinType::LeftJoin,
            orders::Entity::belongs_to(invoices::Entity)
                .from(orders::Column::Id)
                .to(invoices::Column::OrderId)
                .into(),
        )
        .filter(orders::Column::CreatedAt.gte(since))
        // Left a minute to the order's own request, which issues it at once.
        .filter(orders::Column::CreatedAt.lte(core.now() - Duration::minutes(1)))
        .filter(orders::Column::Status.eq("placed"))
        .filter(orders::Column::TotalMinor.gt(0))
        .filter(invoices::Column::Id.is_null())
        .limit(100)
        .into_tuple()
        .all(&core.db.read)
        .await?;
    let mut issued = 0;
    for id in waiting {
        if issue_for_order(core, id.into()).await?.is_some() {
            issued += 1;
        }
    }
    Ok(issued)
}
