//! Renewal invoices: `RENEWAL_INVOICE_DAYS` before an auto-renewing license's
//! billed term ends, the job places a renewal order for the next term, at the customer's price
//! of the day for the license's seats, and issues its invoice with a payment link emailed to
//! the customer. A license remembers how far it is billed (`billed_until`), so a second run, or
//! a second instance, issues nothing more: licenses are claimed in batches (rows locked and
//! skipped by other instances on PostgreSQL; SQLite has one writer), the order's key is unique
//! per license and term, and numbers are taken inside the batch's transaction (no gaps).
use crate::domain::order::OrderStatus;
use std::collections::HashMap;

use chrono::Datelike;
use sea_orm::{
    sea_query::{Expr, LockBehavior, LockType},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    counters,
    invoices::{self, InvoiceError, Issue},
    Core,
};
use crate::{
    domain::{
        invoice::invoice_number,
        order::{charge, order_number, LicenseStatus, OrderKind, Term},
        pricing::cost_and_price,
        CommissionRate, Currency, Money,
    },
    email::{messages, outbox},
    entities::{
        accounts, audit_events, customer_discounts, invoice_lines, invoices as invoice_rows,
        licenses, orders, outbox as outbox_rows, partner_discounts, partners, product_prices,
        products, tax_rates,
    },
};

const BATCH: u64 = 500;

/// The key of an overall discount (a key column cannot be NULL).
const OVERALL: Uuid = Uuid::nil();

/// Issues every renewal invoice due now; returns how many.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn renewal_invoices(core: &Core) -> Result<usize, InvoiceError> {
    let mut issued = 0;
    while let Some(n) = batch(core).await? {
        issued += n;
    }
    Ok(issued)
}

/// Discounts by (owner, product); the overall one under the nil product.
fn discounts(rows: impl IntoIterator<Item = (Uuid, Uuid, i32)>) -> HashMap<(Uuid, Uuid), i32> {
    rows.into_iter().map(|(o, p, bp)| ((o, p), bp)).collect()
}

fn discount(map: &HashMap<(Uuid, Uuid), i32>, owner: Uuid, product: Uuid) -> CommissionRate {
    let bp = map
        .get(&(owner, product))
        .or_else(|| map.get(&(owner, OVERALL)))
        .copied()
        .unwrap_or(0);
    CommissionRate::from_bp(bp)
}

async fn batch(core: &Core) -> Result<Option<usize>, InvoiceError> {
    let now = core.now();
    let today = now.date_naive();
    let horizon = today + core.rules.renewal_lead;
    let txn = core.db.begin().await?;
    let due = licenses::Entity::find()
        .filter(licenses::Column::Status.eq(LicenseStatus::Active.as_str()))
        .filter(licenses::Column::BilledUntil.lte(horizon))
        .filter(licenses::Column::AutoRenew.eq(true))
        .filter(licenses::Column::Trial.eq(false))
        .filter(licenses::Column::Term.is_in([Term::Monthly.as_str(), Term::Yearly.as_str()]))
        .order_by_asc(licenses::Column::BilledUntil)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if due.is_empty() {
        return Ok(None);
    }
    // Everything the batch needs, a query per table.
    let product_ids: Vec<Uuid> = due.iter().map(|l| l.product_id).collect();
    let partner_ids: Vec<Uuid> = due.iter().map(|l| l.partner_id).collect();
    let regs: Vec<Uuid> = due.iter().map(|l| l.registration_id).collect();
    let accounts_ids: Vec<Uuid> = due.iter().map(|l| l.account_id).collect();
    let products: HashMap<Uuid, products::Model> = products::Entity::find()
        .filter(products::Column::Id.is_in(product_ids.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let lists: HashMap<(Uuid, Currency), i64> = product_prices::Entity::find()
        .filter(product_prices::Column::ProductId.is_in(product_ids.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| ((p.product_id, p.currency), p.list_minor))
        .collect();
    let partner_off = discounts(
        partner_discounts::Entity::find()
            .filter(partner_discounts::Column::PartnerId.is_in(partner_ids.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|d| (d.partner_id, d.product_id, d.discount_bp)),
    );
    let customer_off = discounts(
        customer_discounts::Entity::find()
            .filter(customer_discounts::Column::RegistrationId.is_in(regs.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|d| (d.registration_id, d.product_id, d.discount_bp)),
    );
    let accounts: HashMap<Uuid, accounts::Model> = accounts::Entity::find()
        .filter(accounts::Column::Id.is_in(accounts_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let sellers: HashMap<Uuid, String> = partners::Entity::find()
        .filter(partners::Column::Id.is_in(partner_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.company_name))
        .collect();
    let rates: HashMap<String, i32> = tax_rates::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.country, r.rate_bp))
        .collect();

    // What each license's next term costs; a license that cannot be priced (its product has
    // no price in the license's currency any more) is moved on without an invoice, and says so.
    struct Bill<'a> {
        l: &'a licenses::Model,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
        priced: Option<(Money, Money, Money, u32)>,
    }
    let bills: Vec<Bill> = due
        .iter()
        .map(|l| {
            let term = l.term;
            let start = l.billed_until;
            let end = term.end(start, 0);
            let priced = (|| {
                let p = products.get(&l.product_id)?;
                let currency = l.currency?;
                let list = Money::new(*lists.get(&(l.product_id, currency))?, currency);
                let (cost, price) = cost_and_price(
                    list,
                    discount(&partner_off, l.partner_id, l.product_id),
                    discount(&customer_off, l.registration_id, l.product_id),
                )
                .ok()?;
                Some((list, cost, price, term.periods(p.kind)))
            })();
            Bill {
                l,
                start,
                end,
                priced,
            }
        })
        .collect();
    let priced = bills.iter().filter(|b| b.priced.is_some()).count() as i64;
    let year = now.year();
    let (mut order_no, mut seq) = if priced > 0 {
        let last_order = counters::next_n(&txn, "orders", priced).await?;
        let last_seq = invoices::next_in_year(&txn, year, priced).await?;
        (last_order - priced + 1, last_seq - priced + 1)
    } else {
        (0, 0)
    };
    let system = Actor::system("system");
    let mut order_rows = Vec::new();
    let mut invoice_rows_ = Vec::new();
    let mut line_rows = Vec::new();
    let mut events = Vec::new();
    let mut mails = Vec::new();
    for b in &bills {
        let l = b.l;
        let about = |id| About::registration(l.partner_id, l.account_id, id);
        let (Some((list, cost, price, periods)), Some(account), Some(product)) = (
            b.priced,
            accounts.get(&l.account_id),
            products.get(&l.product_id),
        ) else {
            events.push(audit::event(
                now,
                &system,
                "license.renewal_not_invoiced",
                about(l.id),
                &format!(
                    "The term {} to {} was not invoiced: the product has no {} price",
                    b.start,
                    b.end,
                    l.currency.map_or("currency", |c| c.code())
                ),
            ));
            continue;
        };
        let seats = l.seats.max(0) as u32;
        let order_id = Uuid::now_v7();
        let order = orders::Model {
            id: order_id,
            number: order_no,
            partner_id: l.partner_id,
            registration_id: l.registration_id,
            account_id: l.account_id,
            kind: OrderKind::Renewal,
            product_id: l.product_id,
            license_id: Some(l.id),
            quantity: l.seats,
            previous_quantity: None,
            term: l.term,
            starts_on: b.start,
            ends_on: Some(b.end),
            currency: price.currency,
            list_minor: list.minor,
            cost_minor: cost.minor,
            price_minor: price.minor,
            billed_quantity: l.seats,
            total_minor: charge(price, seats, periods)
                .map_err(|_| InvoiceError::NotFound)?
                .minor,
            cost_total_minor: charge(cost, seats, periods)
                .map_err(|_| InvoiceError::NotFound)?
                .minor,
            status: OrderStatus::Placed,
            placed_by: None,
            placed_by_label: "Renewal (automatic)".into(),
            via: "job".into(),
            idem_key: Some(format!("renewal:{}:{}", l.id, b.start)),
            created_at: now,
            cancelled_at: None,
            cancel_reason: None,
        };
        let invoice_id = Uuid::now_v7();
        let made = invoices::order_invoice(
            core,
            Issue {
                id: invoice_id,
                year,
                seq,
                order: &order,
                product,
                seller: sellers.get(&l.partner_id).map_or("", |s| s.as_str()),
                account,
                rate_bp: rates.get(&account.country).copied().unwrap_or(0),
            },
        )?;
        let number = invoice_number(year, seq);
        events.push(audit::event(
            now,
            &system,
            "order.placed",
            about(order_id),
            &format!(
                "{}: renewal of {} seats of {} ({}) for {} to {}; total {}",
                order_number(order_no),
                l.seats,
                product.name,
                product.sku,
                b.start,
                b.end,
                Money::new(order.total_minor, price.currency)
            ),
        ));
        events.push(audit::event(
            now,
            &system,
            "invoice.issued",
            about(invoice_id),
            &made.detail,
        ));
        let msg = messages::InvoiceLink {
            number: number.clone(),
            seller: sellers.get(&l.partner_id).cloned().unwrap_or_default(),
            customer: account.company_name.clone(),
            total: made.total.to_string(),
            due: (today + core.rules.invoice_due)
                .format("%-d %b %Y")
                .to_string(),
            link: core.links.url(&invoices::link_of(core, invoice_id, 0)),
            sender: "The billing team".into(),
        };
        mails.push(outbox::pending(msg.render(&account.primary_email)?));
        order_rows.push(orders::ActiveModel::from(order));
        invoice_rows_.push(made.invoice);
        line_rows.push(made.line);
        order_no += 1;
        seq += 1;
    }
    // Each license moves on a term, if no one moved it meanwhile.
    for b in &bills {
        licenses::Entity::update_many()
            .col_expr(licenses::Column::BilledUntil, Expr::value(b.end))
            .filter(licenses::Column::Id.eq(b.l.id))
            .filter(licenses::Column::BilledUntil.eq(b.start))
            .exec(&txn)
            .await?;
    }
    let n = invoice_rows_.len();
    if !order_rows.is_empty() {
        orders::Entity::insert_many(order_rows)
            .exec_without_returning(&txn)
            .await?;
        let invoiced = super::commission::issued_batch(
            sea_orm::ConnectionTrait::get_database_backend(&txn),
            &invoice_rows_,
        );
        invoice_rows::Entity::insert_many(invoice_rows_)
            .exec_without_returning(&txn)
            .await?;
        super::commission::execute(&txn, invoiced).await?;
        invoice_lines::Entity::insert_many(line_rows)
            .exec_without_returning(&txn)
            .await?;
        outbox_rows::Entity::insert_many(mails)
            .exec_without_returning(&txn)
            .await?;
    }
    if !events.is_empty() {
        audit_events::Entity::insert_many(events)
            .exec_without_returning(&txn)
            .await?;
    }
    core.commit(txn).await?;
    Ok(Some(n))
}
