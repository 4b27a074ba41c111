//! Property tests of commission over random sequences of orders, payments (some
//! answered twice), credit notes, promotional grants, the end of the relationship and month
//! ends, each run against a real server and database (SQLite, or PostgreSQL with
//! `TEST_DATABASE=postgres`): every statement's closing is opening + earned − reversed −
//! charged; the statements add up to the entries; no payment earns twice; nothing earns on a
//! registration that was not active on the invoice's date; a debt is carried to the next month.
use std::collections::{HashMap, HashSet};

use partner_portal::{
    domain::{
        invoice::{InvoiceKind, InvoiceStatus},
        payment::{PaymentGateway, PaymentOutcome},
        Currency, Money, Status,
    },
    entities::{
        commission_entries as entries, commission_statements as statements, invoices, payments,
        registrations, revenue_months,
    },
    services::{
        audit::Actor,
        commission::{self, TOTAL},
        credit_notes, credits,
        orders::{self, OrderInput, Placement},
    },
};
use proptest::{prelude::*, test_runner::TestCaseError};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    helpers::test_card_answer,
    orders::{shop, Shop},
};

#[derive(Debug, Clone)]
enum Op {
    Order(u32),
    Pay(usize),
    /// Two answers for one invoice (two tabs): one payment at most.
    PayTwice(usize),
    /// A credit note of this many cents on a paid invoice.
    Credit(usize, i64),
    Grant(i64),
    /// Pay this many cents of an open invoice from credit (more than is due or than the
    /// balance is refused: fine).
    PayCredit(usize, i64),
    /// Staff void an open invoice.
    Void(usize),
    /// The partner cancels the order of an open invoice.
    Cancel(usize),
    End,
    MonthEnd,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u32..6).prop_map(Op::Order),
        4 => (0usize..8).prop_map(Op::Pay),
        1 => (0usize..8).prop_map(Op::PayTwice),
        2 => (0usize..8, 1i64..600).prop_map(|(i, c)| Op::Credit(i, c)),
        2 => (1i64..900).prop_map(Op::Grant),
        2 => (0usize..8, 1i64..900).prop_map(|(i, c)| Op::PayCredit(i, c)),
        1 => (0usize..8).prop_map(Op::Void),
        1 => (0usize..8).prop_map(Op::Cancel),
        1 => Just(Op::End),
        2 => Just(Op::MonthEnd),
    ]
}

async fn all_invoices(s: &Shop) -> Vec<invoices::Model> {
    invoices::Entity::find()
        .filter(invoices::Column::AccountId.eq(s.account))
        .filter(invoices::Column::Kind.ne("credit_note"))
        .order_by_asc(invoices::Column::IssuedAt)
        .all(&s.app.core.db.read)
        .await
        .unwrap()
}

async fn pay(s: &Shop, inv: &invoices::Model, reference: String) {
    let due = Money::new(inv.total_minor - inv.credit_minor, Currency::Usd);
    let _ = test_card_answer(&s.app.core, inv.id, reference, due, "ap@acme.example").await;
}

async fn pick_open(s: &Shop, i: usize) -> Option<invoices::Model> {
    let open: Vec<_> = all_invoices(s)
        .await
        .into_iter()
        .filter(|i| i.status == InvoiceStatus::Open)
        .collect();
    open.get(i % open.len().max(1)).cloned()
}

async fn apply(s: &Shop, op: &Op, step: usize) {
    let core = &s.app.core;
    let actor = Actor::system("proptest");
    match op {
        Op::Order(seats) => {
            // Refused once the relationship ended: fine, nothing is issued.
            let _ = orders::place(
                core,
                &actor,
                s.org.id,
                s.customer.parse().unwrap(),
                &OrderInput {
                    product: "BK-100".into(),
                    quantity: seats.to_string(),
                    ..Default::default()
                },
                Placement {
                    key: None,
                    via: "web",
                },
                None,
            )
            .await;
        }
        Op::Pay(i) | Op::PayTwice(i) => {
            let open: Vec<_> = all_invoices(s)
                .await
                .into_iter()
                .filter(|i| i.status.as_str() == "open")
                .collect();
            if let Some(inv) = open.get(i % open.len().max(1)) {
                pay(s, inv, format!("ref-{step}-a")).await;
                if matches!(op, Op::PayTwice(_)) {
                    pay(s, inv, format!("ref-{step}-b")).await;
                }
            }
        }
        Op::Credit(i, cents) => {
            let paid: Vec<_> = all_invoices(s)
                .await
                .into_iter()
                .filter(|i| i.status.as_str() == "paid" && i.kind.as_str() != "top_up")
                .collect();
            if let Some(inv) = paid.get(i % paid.len().max(1)) {
                // More than is left is refused: fine.
                let _ = credit_notes::issue(
                    core,
                    &actor,
                    inv.id,
                    Money::new(*cents, Currency::Usd),
                    "proptest",
                )
                .await;
            }
        }
        Op::Grant(cents) => {
            let _ = credits::grant(
                core,
                &actor,
                partner_portal::domain::Role::Admin,
                s.org.id,
                s.customer.parse().unwrap(),
                Money::new(*cents, Currency::Usd),
                "proptest",
                None,
            )
            .await;
        }
        Op::PayCredit(i, cents) => {
            if let Some(inv) = pick_open(s, *i).await {
                let _ = partner_portal::services::invoices::pay_from_credit(
                    core,
                    &actor,
                    inv.id,
                    Money::new(*cents, Currency::Usd),
                )
                .await;
            }
        }
        Op::Void(i) => {
            if let Some(inv) = pick_open(s, *i).await {
                let _ = partner_portal::services::invoices::close(
                    core,
                    &actor,
                    inv.id,
                    partner_portal::domain::settlement::Closing::Void,
                    "proptest",
                )
                .await;
            }
        }
        Op::Cancel(i) => {
            if let Some(order) = pick_open(s, *i).await.and_then(|inv| inv.order_id) {
                let _ = orders::cancel_order(
                    core,
                    &actor,
                    s.org.id,
                    partner_portal::domain::OrderId(order),
                    "proptest",
                )
                .await;
            }
        }
        Op::End => {
            registrations::Entity::update_many()
                .set(registrations::ActiveModel {
                    status: Set(Status::Ended),
                    updated_at: Set(core.now()),
                    ..Default::default()
                })
                .filter(registrations::Column::Id.eq(s.customer.parse::<uuid::Uuid>().unwrap()))
                .filter(registrations::Column::Status.eq(Status::Active))
                .exec(&core.db.write)
                .await
                .unwrap();
            s.app.clock.advance(chrono::Duration::seconds(1));
        }
        Op::MonthEnd => {
            let next = commission::next_period(&commission::period_of(core.now()));
            let to = commission::period_start(&next)
                .unwrap()
                .and_hms_opt(0, 10, 0)
                .unwrap()
                .and_utc();
            s.app.clock.advance(to - core.now());
            commission::close_months(core).await.unwrap();
        }
    }
    // Time passes between steps, so each has its own instant.
    s.app.clock.advance(chrono::Duration::minutes(7));
}

async fn check(s: &Shop) -> Result<(), TestCaseError> {
    let read = &s.app.core.db.read;
    let es = entries::Entity::find().all(read).await.unwrap();
    let sts = statements::Entity::find().all(read).await.unwrap();
    let invs: HashMap<uuid::Uuid, invoices::Model> = invoices::Entity::find()
        .all(read)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let reg = registrations::Entity::find_by_id(s.customer.parse::<uuid::Uuid>().unwrap())
        .one(read)
        .await
        .unwrap()
        .unwrap();

    // Every statement balances; a closed one keeps what it closed with.
    for st in &sts {
        let sum = st.opening_minor + st.earned_minor - st.reversed_minor - st.charged_minor;
        if st.status.as_str() != "open" {
            prop_assert_eq!(st.closing_minor, sum, "closing of {}", st.period);
        }
        // Its figures are the sums of its entries.
        let mine = es
            .iter()
            .filter(|e| e.period == st.period && e.currency == st.currency);
        let mut by_kind: HashMap<&str, i64> = HashMap::new();
        for e in mine {
            *by_kind.entry(e.kind.as_str()).or_default() += e.amount_minor;
        }
        prop_assert_eq!(st.earned_minor, by_kind.get("earned").copied().unwrap_or(0));
        prop_assert_eq!(
            st.reversed_minor,
            by_kind.get("reversed").copied().unwrap_or(0)
        );
        prop_assert_eq!(
            st.charged_minor,
            by_kind.get("charged").copied().unwrap_or(0)
        );
        // A debt closes into the next month's opening.
        if st.status.as_str() != "open" && st.closing_minor < 0 {
            let next = commission::next_period(&st.period);
            let carried = sts
                .iter()
                .find(|n| n.period == next && n.currency == st.currency);
            prop_assert_eq!(carried.map(|n| n.opening_minor), Some(st.closing_minor));
        }
    }
    // The statements add up to the entries.
    let from_statements: i64 = sts
        .iter()
        .map(|s| s.earned_minor - s.reversed_minor - s.charged_minor)
        .sum();
    let from_entries: i64 = es.iter().map(|e| e.kind.signed(e.amount_minor)).sum();
    prop_assert_eq!(from_statements, from_entries);
    // No line earns twice; every earned line is of a paid invoice issued while the
    // registration was active; every such paid invoice earned once per line.
    let mut seen = HashSet::new();
    for e in es.iter().filter(|e| e.kind.as_str() == "earned") {
        prop_assert!(seen.insert(e.source_id), "a line earned twice");
        let inv = &invs[&e.invoice_id.unwrap()];
        prop_assert_eq!(inv.status.as_str(), "paid");
        prop_assert!(reg.activated_at.unwrap() <= inv.issued_at);
        if reg.status == Status::Ended {
            prop_assert!(inv.issued_at < reg.updated_at, "earned after the end");
        }
        // The rate times the line, half to even.
        let expect = Money::new(e.base_minor, Currency::Usd)
            .share_bp(e.rate_bp)
            .unwrap()
            .minor;
        prop_assert_eq!(e.amount_minor, expect);
    }
    for inv in invs.values() {
        if inv.status.as_str() == "paid"
            && inv.kind.as_str() != "credit_note"
            && inv.kind.as_str() != "top_up"
        {
            let earned = es
                .iter()
                .filter(|e| e.kind.as_str() == "earned" && e.invoice_id == Some(inv.id))
                .count();
            prop_assert!(earned <= 1, "one line, one entry at most");
        }
    }
    // The revenue page's monthly commission is the entries' net of earned and reversed.
    let months = revenue_months::Entity::find()
        .filter(revenue_months::Column::AccountId.eq(TOTAL))
        .all(read)
        .await
        .unwrap();
    let rolled: i64 = months.iter().map(|m| m.commission_minor).sum();
    let net: i64 = es
        .iter()
        .filter(|e| e.kind.as_str() != "charged")
        .map(|e| e.kind.signed(e.amount_minor))
        .sum();
    prop_assert_eq!(rolled, net);
    check_figures(s, &invs, &months).await
}

/// Every invoice's total is accounted for: paid by card + paid from credit + still due +
/// voided or written off; and the revenue page's figures are sums over the invoices behind
/// them (net of tax: invoiced leaves out void invoices, outstanding is the net part of what
/// is still due after credit).
async fn check_figures(
    s: &Shop,
    invs: &HashMap<uuid::Uuid, invoices::Model>,
    months: &[revenue_months::Model],
) -> Result<(), TestCaseError> {
    let read = &s.app.core.db.read;
    let pays = payments::Entity::find().all(read).await.unwrap();
    let mut invoiced = 0i64;
    let mut outstanding = 0i64;
    for inv in invs.values().filter(|i| i.kind != InvoiceKind::CreditNote) {
        let mine = pays.iter().filter(|p| p.invoice_id == inv.id);
        let (mut card, mut credit) = (0i64, 0i64);
        for p in mine {
            match (p.gateway, p.outcome) {
                (PaymentGateway::Credit, PaymentOutcome::Succeeded | PaymentOutcome::Applied) => {
                    credit += p.amount_minor
                }
                (_, PaymentOutcome::Succeeded) => card += p.amount_minor,
                _ => {}
            }
        }
        prop_assert_eq!(credit, inv.credit_minor, "{}: credit paid", inv.number);
        let due = partner_portal::services::invoices::settlement::state_of(inv)
            .due()
            .minor;
        let (closed, returned) = match inv.status {
            InvoiceStatus::Void | InvoiceStatus::Uncollectible => (inv.total_minor, credit),
            _ => (0, 0),
        };
        prop_assert_eq!(
            inv.total_minor,
            card + (credit - returned) + due + closed,
            "{} ({:?}): total = card + credit + due + closed",
            inv.number,
            inv.status
        );
        if inv.status == InvoiceStatus::Paid {
            prop_assert_eq!(due, 0);
            prop_assert_eq!(
                card + credit,
                inv.total_minor,
                "{} paid in full",
                inv.number
            );
        }
        if inv.kind.is_billable() {
            if inv.status != InvoiceStatus::Void {
                invoiced += inv.subtotal_minor;
            }
            if inv.status == InvoiceStatus::Open {
                let net_of_credit = Money::new(inv.subtotal_minor, Currency::Usd)
                    .part(inv.credit_minor, inv.total_minor)
                    .unwrap()
                    .minor;
                outstanding += inv.subtotal_minor - net_of_credit;
            }
        }
    }
    let rolled_invoiced: i64 = months.iter().map(|m| m.invoiced_minor).sum();
    let rolled_outstanding: i64 = months
        .iter()
        .map(|m| m.invoiced_minor - m.settled_minor)
        .sum();
    prop_assert_eq!(
        rolled_invoiced,
        invoiced,
        "invoiced leaves out void invoices"
    );
    prop_assert_eq!(
        rolled_outstanding,
        outstanding,
        "outstanding is what is due after credit"
    );
    Ok(())
}

#[test]
fn statements_balance_and_add_up_over_random_histories() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        // Each case starts a server; shrinking replays a few dozen of them at most.
        max_shrink_iters: 40,
        ..ProptestConfig::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 4..24), |ops| {
        rt.block_on(async {
            let s = shop().await;
            for (step, op) in ops.iter().enumerate() {
                apply(&s, op, step).await;
            }
            check(&s).await
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
