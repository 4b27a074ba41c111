//! Commission and revenue. What changes money writes, in its own transaction:
//!
//! - an invoice paid: each line earns `rate × net amount` of the registration that was active
//!   on the invoice's date (half to even per line), written as entries, added to the partner's
//!   open statement for the month and to the month's revenue rows; top-ups earn nothing (the
//!   credit they buy earns when it pays an invoice);
//! - a credit note: reverses at the rate its invoice earned, on its net amount;
//! - promotional credit the partner grants: charged to its statement;
//! - an invoice issued, paid, voided or written off: the month's invoiced and outstanding.
//!
//! The statements of a month close at month end (a job): closing = opening + earned − reversed
//! − charged; a negative closing is carried into the next month's opening (a positive one is
//! paid out). A closed statement never changes: entries always count in the month they are
//! written, and a month closes only once it is over (with a few minutes' grace for
//! transactions still in flight). Staff approve closed statements and record their payout.
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement,
};
use uuid::Uuid;

use super::Core;
use crate::{
    domain::{commission::StatementStatus, invoice::InvoiceKind, Currency, Money, Status},
    entities::{
        commission_entries as entries, commission_statements as statements, invoice_lines,
        invoices, registrations, revenue_months as months,
    },
};

/// The account id of a partner's total row in `revenue_months`.
pub const TOTAL: Uuid = Uuid::nil();

/// How long after a month ends its statements wait before they close: a payment that read
/// the clock just before midnight still counts in that month.
pub const CLOSE_GRACE_MINUTES: i64 = 5;

/// The statement month of an instant, "2026-12".
pub fn period_of(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

/// The first day of a period.
pub fn period_start(period: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").ok()
}

/// The month after `period`.
pub fn next_period(period: &str) -> String {
    let d = period_start(period).unwrap_or_default();
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    format!("{y:04}-{m:02}")
}

/// The `n` months up to and including `period`, oldest first.
pub fn last_periods(period: &str, n: usize) -> Vec<String> {
    let d = period_start(period).unwrap_or_default();
    let mut out = Vec::with_capacity(n);
    let (mut y, mut m) = (d.year(), d.month() as i32);
    for _ in 0..n {
        out.push(format!("{y:04}-{m:02}"));
        m -= 1;
        if m == 0 {
            m = 12;
            y -= 1;
        }
    }
    out.reverse();
    out
}

/// Which way an entry counts on a statement.
pub use crate::domain::commission::EntryKind;

/// A change to one month's revenue figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevenueDelta {
    pub invoiced: i64,
    pub settled: i64,
    pub paid: i64,
    pub commission: i64,
}

fn month_row(
    partner: Uuid,
    account: Uuid,
    period: &str,
    currency: Currency,
    d: RevenueDelta,
) -> months::ActiveModel {
    months::ActiveModel {
        partner_id: Set(partner),
        account_id: Set(account),
        period: Set(period.to_string()),
        currency: Set(currency),
        invoiced_minor: Set(d.invoiced),
        settled_minor: Set(d.settled),
        paid_minor: Set(d.paid),
        commission_minor: Set(d.commission),
    }
}

/// Adds each row's figures to the row of its key (each key at most once).
fn add_to_months(backend: DbBackend, rows: Vec<months::ActiveModel>) -> Statement {
    let add = |c: months::Column| {
        Expr::col((months::Entity, c)).add(Expr::col((Alias::new("excluded"), c)))
    };
    months::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                months::Column::PartnerId,
                months::Column::AccountId,
                months::Column::Period,
                months::Column::Currency,
            ])
            .value(
                months::Column::InvoicedMinor,
                add(months::Column::InvoicedMinor),
            )
            .value(
                months::Column::SettledMinor,
                add(months::Column::SettledMinor),
            )
            .value(months::Column::PaidMinor, add(months::Column::PaidMinor))
            .value(
                months::Column::CommissionMinor,
                add(months::Column::CommissionMinor),
            )
            .to_owned(),
        )
        .build(backend)
}

/// Adds `d` to the account's row and to the partner's total row of the month.
pub fn revenue_upserts(
    backend: DbBackend,
    partner: Uuid,
    account: Uuid,
    period: &str,
    currency: Currency,
    d: RevenueDelta,
) -> Vec<Statement> {
    let mut out = Vec::new();
    // A change of paid revenue holds the partner row (shared) first: see `paid_12m`.
    if d.paid != 0 {
        out.push(super::paid_12m::lock(backend, partner));
    }
    out.push(add_to_months(
        backend,
        // The total row first, as every other writer of these rows orders them (issuing sums
        // them in key order, where the nil id comes first): two transactions touching the same
        // account's month then lock in one order and cannot deadlock.
        vec![
            month_row(partner, TOTAL, period, currency, d),
            month_row(partner, account, period, currency, d),
        ],
    ));
    out.extend(super::paid_12m::on_paid(
        backend, partner, account, currency, d.paid,
    ));
    out
}

/// The invoiced figures of a batch of invoices issued together (the renewal job's), summed
/// per key first: one statement per 500 keys.
pub fn issued_batch(backend: DbBackend, invs: &[invoices::ActiveModel]) -> Vec<Statement> {
    let mut sums: std::collections::BTreeMap<(Uuid, Uuid, String, Currency), i64> =
        Default::default();
    for inv in invs {
        if let (Some(kind), Some(p), Some(a), Some(at), Some(c), Some(net)) = (
            inv.kind.try_as_ref(),
            inv.partner_id.try_as_ref(),
            inv.account_id.try_as_ref(),
            inv.issued_at.try_as_ref(),
            inv.currency.try_as_ref(),
            inv.subtotal_minor.try_as_ref(),
        ) {
            if is_revenue(*kind) {
                let period = period_of(*at);
                for acc in [*a, TOTAL] {
                    *sums.entry((*p, acc, period.clone(), *c)).or_default() += *net;
                }
            }
        }
    }
    let rows: Vec<months::ActiveModel> = sums
        .into_iter()
        .map(|((p, a, period, c), net)| {
            month_row(
                p,
                a,
                &period,
                c,
                RevenueDelta {
                    invoiced: net,
                    ..Default::default()
                },
            )
        })
        .collect();
    rows.chunks(500)
        .map(|c| add_to_months(backend, c.to_vec()))
        .collect()
}

/// Adds to the partner's open statement of the month (opening it if need be).
fn statement_upsert(
    backend: DbBackend,
    partner: Uuid,
    period: &str,
    currency: Currency,
    kind: EntryKind,
    amount: i64,
    now: DateTime<Utc>,
) -> Statement {
    let (earned, reversed, charged) = match kind {
        EntryKind::Earned => (amount, 0, 0),
        EntryKind::Reversed => (0, amount, 0),
        EntryKind::Charged => (0, 0, amount),
    };
    let add = |c: statements::Column| {
        Expr::col((statements::Entity, c)).add(Expr::col((Alias::new("excluded"), c)))
    };
    statements::Entity::insert(statements::ActiveModel {
        id: Set(Uuid::now_v7()),
        partner_id: Set(partner),
        period: Set(period.to_string()),
        currency: Set(currency),
        opening_minor: Set(0),
        earned_minor: Set(earned),
        reversed_minor: Set(reversed),
        charged_minor: Set(charged),
        closing_minor: Set(0),
        status: Set(StatementStatus::Open),
        payout_reference: Set(None),
        closed_at: Set(None),
        approved_at: Set(None),
        approved_by: Set(None),
        paid_at: Set(None),
        paid_by: Set(None),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            statements::Column::PartnerId,
            statements::Column::Period,
            statements::Column::Currency,
        ])
        .value(
            statements::Column::EarnedMinor,
            add(statements::Column::EarnedMinor),
        )
        .value(
            statements::Column::ReversedMinor,
            add(statements::Column::ReversedMinor),
        )
        .value(
            statements::Column::ChargedMinor,
            add(statements::Column::ChargedMinor),
        )
        .to_owned(),
    )
    .build(backend)
}

/// Whether the registration was active on `day`: approved by then, and not ended before.
fn active_on(reg: &registrations::Model, at: DateTime<Utc>) -> bool {
    let began = reg.activated_at.is_some_and(|a| a <= at);
    match reg.status {
        Status::Active => began,
        // Its last change was the end.
        Status::Ended => began && reg.updated_at > at,
        _ => false,
    }
}

/// One entry to write.
struct NewEntry<'a> {
    partner: Uuid,
    account: Uuid,
    registration: Option<Uuid>,
    invoice: Option<Uuid>,
    source: Uuid,
    product: Option<Uuid>,
    kind: EntryKind,
    rate_bp: i32,
    base: i64,
    amount: i64,
    currency: Currency,
    period: &'a str,
    description: String,
}

fn entry_row(e: NewEntry<'_>, now: DateTime<Utc>) -> entries::ActiveModel {
    entries::ActiveModel {
        id: Set(Uuid::now_v7()),
        partner_id: Set(e.partner),
        account_id: Set(e.account),
        registration_id: Set(e.registration),
        invoice_id: Set(e.invoice),
        source_id: Set(e.source),
        product_id: Set(e.product),
        kind: Set(e.kind),
        rate_bp: Set(e.rate_bp),
        base_minor: Set(e.base),
        amount_minor: Set(e.amount),
        currency: Set(e.currency),
        period: Set(e.period.to_string()),
        description: Set(e.description),
        created_at: Set(now),
    }
}

/// The kinds of invoice that count as revenue (a top-up buys credit; a credit note corrects).
pub fn is_revenue(kind: InvoiceKind) -> bool {
    kind.is_billable()
}

/// What marking `inv` paid at `now` writes besides the payment itself: the commission its
/// lines earn, the statement's and the months' totals. Read through `conn` (the read pool for
/// the batched fast path, the transaction otherwise); the caller writes them in the payment's
/// own transaction, which moves the invoice from open to paid once.
pub async fn on_paid(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    inv: &invoices::Model,
    now: DateTime<Utc>,
) -> Result<Vec<Statement>, DbErr> {
    if !is_revenue(inv.kind) {
        return Ok(Vec::new());
    }
    let period = period_of(now);
    let lines = invoice_lines::Entity::find()
        .filter(invoice_lines::Column::InvoiceId.eq(inv.id))
        .order_by_asc(invoice_lines::Column::Position)
        .all(conn)
        .await?;
    let reg = registrations::Entity::find_by_id(inv.registration_id)
        .one(conn)
        .await?;
    let rate = reg
        .as_ref()
        .filter(|r| active_on(r, inv.issued_at))
        .map(|r| r.commission_bp);
    let currency = inv.currency;
    let mut out = Vec::new();
    let mut earned = 0i64;
    if let Some(rate) = rate {
        let rows: Vec<entries::ActiveModel> = lines
            .iter()
            .map(|l| {
                let amount = Money::new(l.amount_minor, currency)
                    .share_bp(rate)
                    .map_or(0, |m| m.minor);
                earned += amount;
                entry_row(
                    NewEntry {
                        partner: inv.partner_id,
                        account: inv.account_id,
                        registration: Some(inv.registration_id),
                        invoice: Some(inv.id),
                        source: l.id,
                        product: l.product_id,
                        kind: EntryKind::Earned,
                        rate_bp: rate,
                        base: l.amount_minor,
                        amount,
                        currency: inv.currency,
                        period: &period,
                        description: format!("{}: {}", inv.number, l.description),
                    },
                    now,
                )
            })
            .collect();
        if !rows.is_empty() {
            out.push(entries::Entity::insert_many(rows).build(backend));
            out.push(statement_upsert(
                backend,
                inv.partner_id,
                &period,
                inv.currency,
                EntryKind::Earned,
                earned,
                now,
            ));
        }
    }
    let net = inv.subtotal_minor;
    out.extend(on_settled(backend, inv));
    out.extend(revenue_upserts(
        backend,
        inv.partner_id,
        inv.account_id,
        &period,
        inv.currency,
        RevenueDelta {
            paid: net,
            commission: earned,
            ..Default::default()
        },
    ));
    Ok(out)
}

/// Runs `statements` on the caller's transaction.
pub async fn execute(conn: &impl ConnectionTrait, statements: Vec<Statement>) -> Result<(), DbErr> {
    for s in statements {
        conn.execute_raw(s).await?;
    }
    Ok(())
}

/// An invoice issued (the order's invoice, as its row is inserted): the month's invoiced,
/// and so outstanding, figure.
pub fn on_issued_row(backend: DbBackend, inv: &invoices::ActiveModel) -> Vec<Statement> {
    issued_batch(backend, std::slice::from_ref(inv))
}

/// The net (tax excluded) part of `credit` paid towards `inv`, in the invoice's proportion,
/// half to even: what paying from credit takes off the month's outstanding figure.
fn net_of_credit(inv: &invoices::Model, credit: i64) -> i64 {
    if inv.total_minor <= 0 || credit <= 0 {
        return 0;
    }
    Money::new(inv.subtotal_minor, inv.currency)
        .part(credit, inv.total_minor)
        .map_or(0, |m| m.minor)
}

/// The month's figures of the month `inv` was issued in, changed by `d`.
fn in_issue_month(backend: DbBackend, inv: &invoices::Model, d: RevenueDelta) -> Vec<Statement> {
    if !is_revenue(inv.kind) {
        return Vec::new();
    }
    revenue_upserts(
        backend,
        inv.partner_id,
        inv.account_id,
        &period_of(inv.issued_at),
        inv.currency,
        d,
    )
}

/// An invoice paid or written off (`inv` as it was while open): what was still outstanding
/// of it (its net less the part credit paid already) is no longer.
pub fn on_settled(backend: DbBackend, inv: &invoices::Model) -> Vec<Statement> {
    in_issue_month(
        backend,
        inv,
        RevenueDelta {
            settled: inv.subtotal_minor - net_of_credit(inv, inv.credit_minor),
            ..Default::default()
        },
    )
}

/// An invoice voided (`inv` as it was while open): it was never really invoiced, so it
/// leaves the month's invoiced figure, and what credit had settled of it is undone (the
/// credit goes back to the customer).
pub fn on_voided(backend: DbBackend, inv: &invoices::Model) -> Vec<Statement> {
    in_issue_month(
        backend,
        inv,
        RevenueDelta {
            invoiced: -inv.subtotal_minor,
            settled: -net_of_credit(inv, inv.credit_minor),
            ..Default::default()
        },
    )
}

/// `amount` of credit paid towards an open invoice (`inv` as it was before): its net part is
/// no longer outstanding.
pub fn on_credit_applied(backend: DbBackend, inv: &invoices::Model, amount: i64) -> Vec<Statement> {
    in_issue_month(
        backend,
        inv,
        RevenueDelta {
            settled: net_of_credit(inv, inv.credit_minor + amount)
                - net_of_credit(inv, inv.credit_minor),
            ..Default::default()
        },
    )
}

/// A credit note `cn` (negative amounts) against `original`: reverses at the rate the original
/// earned, on the credit note's net, and takes it off the month's paid revenue.
pub async fn on_credit_note(
    conn: &impl ConnectionTrait,
    original: &invoices::Model,
    cn: &invoices::Model,
    cn_line: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let period = period_of(now);
    let net = -cn.subtotal_minor;
    let earned = entries::Entity::find()
        .filter(entries::Column::InvoiceId.eq(original.id))
        .filter(entries::Column::Kind.eq(EntryKind::Earned.as_str()))
        .one(conn)
        .await?;
    let mut reversed = 0;
    let mut out = Vec::new();
    if let Some(e) = earned {
        let currency = cn.currency;
        reversed = Money::new(net, currency)
            .share_bp(e.rate_bp)
            .map_or(0, |m| m.minor);
        out.push(
            entries::Entity::insert(entry_row(
                NewEntry {
                    partner: cn.partner_id,
                    account: cn.account_id,
                    registration: Some(cn.registration_id),
                    invoice: Some(cn.id),
                    source: cn_line,
                    product: None,
                    kind: EntryKind::Reversed,
                    rate_bp: e.rate_bp,
                    base: net,
                    amount: reversed,
                    currency: cn.currency,
                    period: &period,
                    description: format!("{}: credit for {}", cn.number, original.number),
                },
                now,
            ))
            .build(backend),
        );
        out.push(statement_upsert(
            backend,
            cn.partner_id,
            &period,
            cn.currency,
            EntryKind::Reversed,
            reversed,
            now,
        ));
    }
    if is_revenue(original.kind) {
        out.extend(revenue_upserts(
            backend,
            cn.partner_id,
            cn.account_id,
            &period,
            cn.currency,
            RevenueDelta {
                paid: -net,
                commission: -reversed,
                ..Default::default()
            },
        ));
    }
    execute(conn, out).await
}

/// Promotional credit the partner granted its customer: charged to the partner's statement.
pub async fn on_grant(
    conn: &impl ConnectionTrait,
    partner: Uuid,
    account: Uuid,
    grant: Uuid,
    amount: Money,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let period = period_of(now);
    let currency = amount.currency;
    execute(
        conn,
        vec![
            entries::Entity::insert(entry_row(
                NewEntry {
                    partner,
                    account,
                    registration: None,
                    invoice: None,
                    source: grant,
                    product: None,
                    kind: EntryKind::Charged,
                    rate_bp: 10_000,
                    base: amount.minor,
                    amount: amount.minor,
                    currency,
                    period: &period,
                    description: format!("Promotional credit granted: {amount}"),
                },
                now,
            ))
            .build(backend),
            statement_upsert(
                backend,
                partner,
                &period,
                currency,
                EntryKind::Charged,
                amount.minor,
                now,
            ),
        ],
    )
    .await
}

// ------------------------------------------------------------------ month end

/// Closes every open statement of a month that is over (and its grace passed): its closing
/// is fixed, and a negative closing opens the next month's statement with that debt. Set-based,
/// so ten thousand partners close in a few statements; safe on several instances (a statement
/// moves from open once).
#[tracing::instrument(skip(core), level = "debug")]
pub async fn close_months(core: &Core) -> Result<usize, DbErr> {
    let now = core.now();
    let current = period_of(now - Duration::minutes(CLOSE_GRACE_MINUTES));
    let due: Vec<String> = statements::Entity::find()
        .select_only()
        .column(statements::Column::Period)
        .filter(statements::Column::Status.eq("open"))
        .filter(statements::Column::Period.lt(current.as_str()))
        .distinct()
        .order_by_asc(statements::Column::Period)
        .into_tuple()
        .all(&core.db.read)
        .await?;
    let mut closed = 0;
    // Oldest first: a month's debt reaches the next month's opening before that one closes.
    for period in due {
        let txn = core.db.begin().await?;
        let moved = statements::Entity::update_many()
            .col_expr(
                statements::Column::Status,
                Expr::value(StatementStatus::Closed),
            )
            .col_expr(statements::Column::ClosedAt, Expr::value(now))
            .col_expr(
                statements::Column::ClosingMinor,
                Expr::col(statements::Column::OpeningMinor)
                    .add(Expr::col(statements::Column::EarnedMinor))
                    .sub(Expr::col(statements::Column::ReversedMinor))
                    .sub(Expr::col(statements::Column::ChargedMinor)),
            )
            .filter(statements::Column::Status.eq("open"))
            .filter(statements::Column::Period.eq(period.as_str()))
            .exec(&txn)
            .await?;
        // The debts, carried into the next month's opening (a statement there may exist).
        let next = next_period(&period);
        let debts = statements::Entity::find()
            .filter(statements::Column::Period.eq(period.as_str()))
            .filter(statements::Column::ClosedAt.eq(now))
            .filter(statements::Column::ClosingMinor.lt(0i64))
            .all(&txn)
            .await?;
        for chunk in debts.chunks(500) {
            let rows = chunk.iter().map(|d| statements::ActiveModel {
                id: Set(Uuid::now_v7()),
                partner_id: Set(d.partner_id),
                period: Set(next.clone()),
                currency: Set(d.currency),
                opening_minor: Set(d.closing_minor),
                earned_minor: Set(0),
                reversed_minor: Set(0),
                charged_minor: Set(0),
                closing_minor: Set(0),
                status: Set(StatementStatus::Open),
                payout_reference: Set(None),
                closed_at: Set(None),
                approved_at: Set(None),
                approved_by: Set(None),
                paid_at: Set(None),
                paid_by: Set(None),
                created_at: Set(now),
            });
            statements::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        statements::Column::PartnerId,
                        statements::Column::Period,
                        statements::Column::Currency,
                    ])
                    .update_column(statements::Column::OpeningMinor)
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        closed += moved.rows_affected as usize;
    }
    Ok(closed)
}
