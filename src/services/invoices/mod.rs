//! Invoices (issue 14): one per paid order, issued in its own transaction right after the order
//! (and by the job for any order left without one), numbered without gaps per year, lines
//! copied from the order, tax by the customer's country. Each open invoice has a payment link
//! whose token is derived from a server secret (so the partner can see and copy it again) and
//! stored only as its hash; replacing the link changes the token and the old one stops working.
//! A payment lands at most once per invoice: a unique (gateway, reference), a unique successful
//! payment per invoice, and a status update that names the status it expects.
use crate::domain::order::OrderStatus;
use chrono::{Datelike, Duration};
use hmac::{Hmac, Mac};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder,
};
use sha2::Sha256;
use uuid::Uuid;

pub mod settlement;
pub mod view;

use super::{
    audit::{self, About, Actor},
    counters, Core, Fault,
};
use crate::{
    auth::tokens::hash_token,
    domain::{
        invoice::{counter_name, invoice_number, line_tax, InvoiceKind, InvoiceStatus, ListSum},
        order::{order_number, OrderKind},
        payment::PaymentOutcome,
        product::quantity_of,
        settlement::{Closing, Decision, Refusal},
        Currency, Money, OrderId,
    },
    email::{messages, outbox},
    entities::{
        accounts, counters as counter_rows, invoice_lines, invoices, orders, partners, payments,
        products, tax_rates, users,
    },
};
pub use settlement::{Ask, CardAnswer, Settled};
pub use view::{InvoiceView, LineView, PaymentView};

#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    #[error("not found")]
    NotFound,
    /// The settlement refused the request (the invoice is no longer open, the amount is not
    /// what is due, …): nothing was recorded.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The payment was declined by the gateway; the invoice stays open.
    #[error("The payment was declined: {0} Nothing was charged; try another card.")]
    Declined(String),
    /// Voiding or writing off needs a reason (at most 500 characters).
    #[error("Give the reason, in at most 500 characters.")]
    Reason,
    /// Money was taken that does not match what is due (another amount or currency, or an
    /// invoice another payment paid first): recorded, flagged to staff for a refund, not paid.
    #[error("This payment does not match the invoice (it was paid already, or the amount differs). It was recorded and the provider will refund it.")]
    Mismatch,
    #[error(transparent)]
    Gateway(#[from] crate::payments::GatewayError),
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(InvoiceError);

/// The key payment-link tokens are derived from: HMAC-SHA256 of the server's secret with a
/// label, so the session key and the links never share a key.
pub fn pay_key(secret: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("any key length");
    mac.update(b"partner-portal payment links v1");
    mac.finalize().into_bytes().into()
}

/// An invoice's payment-link token: 256 bits derived from the key, the invoice and the link's
/// version (bumped when the partner replaces the link). URL-safe base64.
pub fn pay_token(key: &[u8; 32], invoice: Uuid, version: u32) -> String {
    use base64::Engine;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(invoice.as_bytes());
    mac.update(&version.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

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

async fn issue(core: &Core, order: OrderId) -> Result<Option<Uuid>, InvoiceError> {
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
    super::commission::execute(
        &txn,
        super::commission::on_issued_row(txn.get_database_backend(), &issued),
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

/// What the payment page shows: who bills whom, the lines, the total, the due date.
pub struct PayView {
    pub invoice: InvoiceView,
    pub lines: Vec<LineView>,
    /// The successful payment, once paid (the receipt).
    pub receipt: Option<PaymentView>,
}

/// The invoice a payment link opens; a guessed, altered or replaced token finds nothing.
pub async fn by_token(core: &Core, token: &str) -> Result<PayView, InvoiceError> {
    if token.len() > 100 {
        return Err(InvoiceError::NotFound);
    }
    let invoice = invoices::Entity::find()
        .filter(invoices::Column::PayTokenHash.eq(hash_token(token)))
        .one(&core.db.read)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    view(&core.db.read, invoice).await
}

async fn view(
    conn: &impl ConnectionTrait,
    invoice: invoices::Model,
) -> Result<PayView, InvoiceError> {
    let lines = invoice_lines::Entity::find()
        .filter(invoice_lines::Column::InvoiceId.eq(invoice.id))
        .order_by_asc(invoice_lines::Column::Position)
        .all(conn)
        .await?;
    let receipt = payments::Entity::find()
        .filter(payments::Column::InvoiceId.eq(invoice.id))
        .filter(payments::Column::Outcome.eq(PaymentOutcome::Succeeded))
        .one(conn)
        .await?;
    Ok(PayView {
        receipt: receipt.map(PaymentView::from),
        lines: lines.iter().map(|l| LineView::of(l, &invoice)).collect(),
        invoice: InvoiceView::of(&invoice),
    })
}

/// What is left to pay of an invoice: its total less the credit applied to it, while open.
pub async fn amount_due(core: &Core, invoice: Uuid) -> Result<Money, InvoiceError> {
    let inv = invoices::Entity::find_by_id(invoice)
        .one(&core.db.write)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    Ok(settlement::state_of(&inv).due())
}

/// The path of an invoice's payment link (while it is open, for its partner).
pub fn link(core: &Core, inv: &invoices::Model) -> String {
    link_of(core, inv.id, inv.link_version as u32)
}

/// The path of the payment link of invoice `id` at link version `version`.
pub fn link_of(core: &Core, id: Uuid, version: u32) -> String {
    format!("/pay/{}", pay_token(&core.links.pay_key, id, version))
}

/// Who looks at an invoice: its partner, staff, or a user of the customer's account. Anyone
/// else's invoice is not found.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    Partner(crate::domain::PartnerId),
    Staff,
    Account(crate::domain::AccountId),
}

/// An invoice, with its payment link while open and its history.
pub struct InvoiceDetail {
    pub view: PayView,
    pub link: Option<String>,
    pub history: Vec<super::views::AuditEntry>,
    /// Every payment attempt, oldest first: succeeded, declined, applied from credit, and
    /// money that did not match (to check and refund).
    pub payments: Vec<PaymentView>,
}

async fn visible(
    conn: &impl ConnectionTrait,
    viewer: Viewer,
    id: Uuid,
) -> Result<invoices::Model, InvoiceError> {
    let find = invoices::Entity::find_by_id(id);
    match viewer {
        Viewer::Partner(p) => find.filter(invoices::Column::PartnerId.eq(p.uuid())),
        Viewer::Account(a) => find.filter(invoices::Column::AccountId.eq(a.uuid())),
        Viewer::Staff => find,
    }
    .one(conn)
    .await?
    .ok_or(InvoiceError::NotFound)
}

#[tracing::instrument(skip(core), level = "debug")]
pub async fn detail(core: &Core, viewer: Viewer, id: Uuid) -> Result<InvoiceDetail, InvoiceError> {
    let conn = &core.db.read;
    let inv = visible(conn, viewer, id).await?;
    let history = crate::entities::audit_events::Entity::find()
        .filter(crate::entities::audit_events::Column::SubjectId.eq(inv.id))
        .order_by_asc(crate::entities::audit_events::Column::At)
        .all(conn)
        .await?
        .into_iter()
        .map(super::views::AuditEntry::from)
        .collect();
    let link = (inv.status == InvoiceStatus::Open).then(|| link(core, &inv));
    let payments = payments::Entity::find()
        .filter(payments::Column::InvoiceId.eq(inv.id))
        .order_by_asc(payments::Column::CreatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(PaymentView::from)
        .collect();
    Ok(InvoiceDetail {
        view: view(conn, inv).await?,
        link,
        history,
        payments,
    })
}

/// Closes an open invoice without payment (staff): void, or uncollectible, with a reason.
#[tracing::instrument(skip(core, actor))]
pub async fn close(
    core: &Core,
    actor: &Actor,
    id: Uuid,
    how: Closing,
    reason: &str,
) -> Result<(), InvoiceError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(InvoiceError::Reason);
    }
    visible(&core.db.read, Viewer::Staff, id).await?;
    let ask = settlement::Ask::Close {
        how,
        reason: reason.to_string(),
    };
    match settlement::apply(core, id, ask, actor).await? {
        Settled::Decided(Decision::Closed { .. }) => Ok(()),
        Settled::Decided(Decision::Refused(why)) => Err(InvoiceError::Refused(why)),
        other => Err(Fault::Db(sea_orm::DbErr::Custom(format!("closing gave {other:?}"))).into()),
    }
}

/// Emails an open invoice's payment link (to the customer's primary address, or `to`).
#[tracing::instrument(skip(core, actor))]
pub async fn send_link(
    core: &Core,
    actor: &Actor,
    partner: crate::domain::PartnerId,
    id: Uuid,
    to: Option<&crate::domain::Email>,
) -> Result<String, InvoiceError> {
    let txn = core.db.begin().await?;
    let inv = visible(&txn, Viewer::Partner(partner), id).await?;
    let status = inv.status;
    if status != InvoiceStatus::Open {
        return Err(Refusal::NotOpen(status).into());
    }
    let address = match to {
        Some(e) => e.as_str().to_string(),
        None => {
            accounts::Entity::find_by_id(inv.account_id)
                .one(&txn)
                .await?
                .ok_or(InvoiceError::NotFound)?
                .primary_email
        }
    };
    let currency = inv.currency;
    let msg = messages::InvoiceLink {
        number: inv.number.clone(),
        seller: inv.seller.clone(),
        customer: inv.customer_name.clone(),
        total: Money::new(inv.total_minor, currency).to_string(),
        due: inv.due_on.format("%-d %b %Y").to_string(),
        link: core.links.url(&link(core, &inv)),
        sender: actor.label.clone(),
    };
    outbox::enqueue(&txn, msg.render(&address)?).await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        "invoice.link_sent",
        About::registration(inv.partner_id, inv.account_id, inv.id),
        &format!("{}: payment link emailed to {address}", inv.number),
    )
    .await?;
    core.commit(txn).await?;
    Ok(address)
}

/// Staff's tax rate for a country (`None` removes it: 0 %).
#[tracing::instrument(skip(core, actor))]
pub async fn set_tax_rate(
    core: &Core,
    actor: &Actor,
    country: &crate::domain::CountryCode,
    rate_bp: Option<i32>,
) -> Result<(), InvoiceError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let detail = match rate_bp {
        Some(bp) => {
            tax_rates::Entity::insert(tax_rates::ActiveModel {
                country: Set(country.as_str().to_string()),
                rate_bp: Set(bp),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::column(tax_rates::Column::Country)
                    .update_columns([tax_rates::Column::RateBp, tax_rates::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            format!(
                "{}: {} on new invoices",
                country.as_str(),
                crate::domain::CommissionRate::from_bp(bp)
            )
        }
        None => {
            tax_rates::Entity::delete_by_id(country.as_str().to_string())
                .exec(&txn)
                .await?;
            format!("{}: no tax on new invoices", country.as_str())
        }
    };
    audit::record(&txn, now, actor, "tax_rate.set", About::default(), &detail).await?;
    core.commit(txn).await?;
    Ok(())
}

/// Every tax rate, by country.
pub async fn tax_rates(core: &Core) -> Result<Vec<(String, i32)>, InvoiceError> {
    Ok(tax_rates::Entity::find()
        .order_by_asc(tax_rates::Column::Country)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|r| (r.country, r.rate_bp))
        .collect())
}

/// A customer's invoices, newest first (its partner's view), each with its link while open.
pub async fn of_customer(
    core: &Core,
    partner: crate::domain::PartnerId,
    reg: crate::domain::RegistrationId,
) -> Result<Vec<(InvoiceView, Option<String>)>, InvoiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::PartnerId.eq(partner.uuid()))
        .filter(invoices::Column::RegistrationId.eq(reg.uuid()))
        .order_by_desc(invoices::Column::IssuedAt)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|i| {
            let l = (i.status == InvoiceStatus::Open).then(|| link(core, &i));
            (InvoiceView::of(&i), l)
        })
        .collect())
}

/// A customer account's invoices, newest first, with the payment link of each open one.
pub async fn of_account(
    core: &Core,
    account: crate::domain::AccountId,
) -> Result<Vec<(InvoiceView, Option<String>)>, InvoiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::AccountId.eq(account.uuid()))
        .order_by_desc(invoices::Column::IssuedAt)
        .all(&core.db.read)
        .await?
        .into_iter()
        .map(|i| {
            let l = (i.status == InvoiceStatus::Open).then(|| link(core, &i));
            (InvoiceView::of(&i), l)
        })
        .collect())
}

/// Replaces an open invoice's payment link: the old one stops working at once.
#[tracing::instrument(skip(core, actor))]
pub async fn replace_link(
    core: &Core,
    actor: &Actor,
    partner: crate::domain::PartnerId,
    id: Uuid,
) -> Result<(), InvoiceError> {
    let txn = core.db.begin().await?;
    let inv = invoices::Entity::find_by_id(id)
        .filter(invoices::Column::PartnerId.eq(partner.uuid()))
        .one(&txn)
        .await?
        .ok_or(InvoiceError::NotFound)?;
    let status = inv.status;
    if status != InvoiceStatus::Open {
        return Err(Refusal::NotOpen(status).into());
    }
    let version = inv.link_version + 1;
    invoices::Entity::update_many()
        .set(invoices::ActiveModel {
            link_version: Set(version),
            pay_token_hash: Set(hash_token(&pay_token(
                &core.links.pay_key,
                inv.id,
                version as u32,
            ))),
            ..Default::default()
        })
        .filter(invoices::Column::Id.eq(inv.id))
        .filter(invoices::Column::LinkVersion.eq(inv.link_version))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        core.now(),
        actor,
        "invoice.link_replaced",
        About::registration(inv.partner_id, inv.account_id, inv.id),
        &format!(
            "{}: a new payment link; the old one no longer works",
            inv.number
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// The invoice lists' filters.
#[derive(Debug, Clone, Default)]
pub struct InvoiceQuery {
    pub status: Option<InvoiceStatus>,
    /// Part of the customer's name, in any case.
    pub customer: String,
    /// Issued in this month (year, month).
    pub month: Option<(i32, u32)>,
    pub offset: u64,
    pub limit: u64,
}

/// One line of an invoice list.
pub struct ListedInvoice {
    pub invoice: InvoiceView,
    /// The partner's name (staff's list).
    pub partner: String,
}

/// A page of invoices, newest first, with the filtered total per status and currency (open
/// and paid sums), for a partner or (`None`) for staff.
pub struct InvoiceList {
    pub rows: Vec<ListedInvoice>,
    pub has_more: bool,
    pub sums: Vec<(ListSum, Money)>,
}

/// One group of a list's sums: status, kind, currency, the sums of totals and of credit.
type SumRow = (
    InvoiceStatus,
    InvoiceKind,
    Currency,
    Option<i64>,
    Option<i64>,
);

#[tracing::instrument(skip(core), level = "debug")]
pub async fn list(
    core: &Core,
    partner: Option<crate::domain::PartnerId>,
    q: &InvoiceQuery,
) -> Result<InvoiceList, InvoiceError> {
    use sea_orm::{Condition, QuerySelect};
    let mut cond = Condition::all();
    if let Some(p) = partner {
        cond = cond.add(invoices::Column::PartnerId.eq(p.uuid()));
    }
    if let Some(s) = q.status {
        cond = cond.add(invoices::Column::Status.eq(s.as_str()));
    }
    if !q.customer.trim().is_empty() {
        let pattern = super::search::like_pattern(&q.customer.trim().to_lowercase());
        cond = cond.add(super::search::ilike(
            invoices::Column::CustomerName,
            &pattern,
        ));
    }
    if let Some((y, m)) = q.month {
        let start = chrono::NaiveDate::from_ymd_opt(y, m, 1).ok_or(InvoiceError::NotFound)?;
        let end = start
            .checked_add_months(chrono::Months::new(1))
            .ok_or(InvoiceError::NotFound)?;
        let at = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        if let (Some(from), Some(to)) = (at(start), at(end)) {
            cond = cond.add(invoices::Column::IssuedAt.gte(from));
            cond = cond.add(invoices::Column::IssuedAt.lt(to));
        }
    }
    let conn = &core.db.read;
    let mut rows = invoices::Entity::find()
        .filter(cond.clone())
        .order_by_desc(invoices::Column::IssuedAt)
        .order_by_desc(invoices::Column::Id)
        .offset(q.offset)
        .limit(q.limit + 1)
        .all(conn)
        .await?;
    let has_more = rows.len() as u64 > q.limit;
    rows.truncate(q.limit as usize);
    let sums: Vec<SumRow> = invoices::Entity::find()
        .select_only()
        .column(invoices::Column::Status)
        .column(invoices::Column::Kind)
        .column(invoices::Column::Currency)
        // PostgreSQL sums BIGINT as NUMERIC: cast back.
        .column_as(
            sea_orm::sea_query::Expr::cust("CAST(SUM(total_minor) AS BIGINT)"),
            "total",
        )
        .column_as(
            sea_orm::sea_query::Expr::cust("CAST(SUM(credit_minor) AS BIGINT)"),
            "credit",
        )
        .filter(cond)
        .group_by(invoices::Column::Status)
        .group_by(invoices::Column::Kind)
        .group_by(invoices::Column::Currency)
        .into_tuple()
        .all(conn)
        .await?;
    let mut names = std::collections::HashMap::new();
    if partner.is_none() {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.partner_id).collect();
        for p in partners::Entity::find()
            .filter(partners::Column::Id.is_in(ids))
            .all(conn)
            .await?
        {
            names.insert(p.id, p.company_name);
        }
    }
    let rows = rows
        .into_iter()
        .map(|i| ListedInvoice {
            partner: names.get(&i.partner_id).cloned().unwrap_or_default(),
            invoice: InvoiceView::of(&i),
        })
        .collect();
    // Each figure is the sum of one column of the rows it stands for: open invoices' left to
    // pay, the others' totals, credit notes apart (as the amount they gave back).
    let mut folded: std::collections::BTreeMap<(ListSum, Currency), i64> = Default::default();
    for (status, kind, currency, total, credit) in sums {
        let (total, credit) = (total.unwrap_or(0), credit.unwrap_or(0));
        let (what, amount) = ListSum::of(status, kind, total, credit);
        *folded.entry((what, currency)).or_default() += amount;
    }
    let sums = folded
        .into_iter()
        .map(|((what, c), minor)| (what, Money::new(minor, c)))
        .collect();
    Ok(InvoiceList {
        rows,
        has_more,
        sums,
    })
}

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
    if !super::jobs::claim(&txn, JOB, last.as_ref(), now).await? {
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
