//! Two actions racing on one open invoice, on two instances of the portal sharing one database
//! (SQLite here, PostgreSQL with `TEST_DATABASE=postgres`), at many relative timings: paying
//! by card, a card gateway's confirmed payment (what Stripe's webhook delivers), paying from
//! credit, cancelling the order, staff's void. Exactly one of them settles the invoice; the
//! other is told why (or, for money a gateway took already, keeps it flagged for a refund);
//! the invoice, its order, its payments, the credit balance and commission agree afterwards.
use std::time::Duration;

use partner_portal::{
    domain::{
        invoice::InvoiceStatus,
        payment::{PaymentGateway, PaymentOutcome},
        settlement::{Closing, Decision},
        Currency, Money, OrderId,
    },
    entities::{commission_entries, invoices, orders as order_rows, payments},
    services::{
        audit::Actor,
        credits,
        invoices::{self as inv, settlement, Ask, CardAnswer, Settled},
        orders::{self, OrderInput, Placement},
        Core,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    helpers::{spawn_app_with, Options, TestApp},
    orders::{shop, Shop},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Card,
    /// A captured card payment, as the gateway's webhook reports it.
    Webhook,
    Credit,
    Cancel,
    Void,
}

const ACTS: [Act; 5] = [Act::Card, Act::Webhook, Act::Credit, Act::Cancel, Act::Void];

/// What an action reported.
#[derive(Debug, PartialEq, Eq)]
enum Told {
    /// It settled the invoice (paid it, or closed it with its order).
    Won,
    /// Refused, with the reason it gave.
    Refused(String),
    /// The gateway's money was kept and flagged for a refund.
    KeptForRefund,
}

async fn act(
    core: &Core,
    s: &Shop,
    what: Act,
    invoice: uuid::Uuid,
    order: uuid::Uuid,
    due: Money,
    n: usize,
) -> Told {
    let actor = Actor::system("race");
    match what {
        Act::Card | Act::Webhook => {
            let answer = CardAnswer {
                gateway: if what == Act::Card {
                    PaymentGateway::Test
                } else {
                    PaymentGateway::Stripe
                },
                reference: format!("race-{n}-{what:?}"),
                amount: due,
                approved: true,
                detail: None,
                payer: "ap@acme.example".into(),
            };
            match settlement::apply(core, invoice, Ask::Card(answer), &actor).await {
                Ok(Settled::Decided(Decision::Paid { .. })) => Told::Won,
                Ok(Settled::Decided(Decision::Mismatch { .. })) => Told::KeptForRefund,
                Ok(Settled::Decided(Decision::Refused(why))) => Told::Refused(why.to_string()),
                other => panic!("{what:?}: {other:?}"),
            }
        }
        Act::Credit => match inv::pay_from_credit(core, &actor, invoice, due).await {
            Ok(InvoiceStatus::Paid) => Told::Won,
            Ok(other) => panic!("credit left it {other:?}"),
            Err(e) => Told::Refused(e.to_string()),
        },
        Act::Cancel => {
            match orders::cancel_order(core, &actor, s.org.id, OrderId(order), "race").await {
                Ok(()) => Told::Won,
                Err(e) => Told::Refused(e.to_string()),
            }
        }
        Act::Void => match inv::close(core, &actor, invoice, Closing::Void, "race").await {
            Ok(()) => Told::Won,
            Err(e) => Told::Refused(e.to_string()),
        },
    }
}

/// A fresh order with its open invoice, and credit enough to pay it.
async fn open_invoice(s: &Shop) -> (uuid::Uuid, uuid::Uuid, Money) {
    let core = &s.app.core;
    let actor = Actor::system("race");
    let placed = orders::place(
        core,
        &actor,
        s.org.id,
        s.customer.parse().unwrap(),
        &OrderInput {
            product: "BK-100".into(),
            quantity: "1".into(),
            ..Default::default()
        },
        Placement {
            key: None,
            via: "web",
        },
        None,
    )
    .await
    .unwrap();
    let i = invoices::Entity::find()
        .filter(invoices::Column::OrderId.eq(placed.order.uuid()))
        .one(&core.db.write)
        .await
        .unwrap()
        .expect("the order's invoice is issued with it");
    let due = Money::new(i.total_minor, Currency::Usd);
    credits::grant(
        core,
        &actor,
        partner_portal::domain::Role::Admin,
        s.org.id,
        s.customer.parse().unwrap(),
        due,
        "race",
        None,
    )
    .await
    .unwrap();
    (i.id, placed.order.uuid(), due)
}

async fn second_instance(a: &TestApp) -> TestApp {
    spawn_app_with(Options {
        smtp: Some(a.smtp.clone()),
        database_url: Some(a.config.database_url.clone()),
        ..Options::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_actions_racing_on_one_invoice_exactly_one_settles_it_at_every_timing() {
    let s = shop().await;
    let b = second_instance(&s.app).await;
    let read = &s.app.core.db.write;
    // The second action starts this long after the first (and then the other way round).
    let offsets_us = [0u64, 200, 700, 1_500, 4_000];
    let mut n = 0;
    for (i, first) in ACTS.into_iter().enumerate() {
        for second in ACTS.into_iter().skip(i + 1) {
            for (k, &offset) in offsets_us.iter().enumerate() {
                for swap in [false, true] {
                    n += 1;
                    let (x, y) = if swap {
                        (second, first)
                    } else {
                        (first, second)
                    };
                    let (invoice, order, due) = open_invoice(&s).await;
                    let before = credits::balance(&s.app.core, s.account, Currency::Usd)
                        .await
                        .unwrap();
                    // The two instances take turns at going first.
                    let (cx, cy) = if k % 2 == 0 {
                        (&s.app.core, &b.core)
                    } else {
                        (&b.core, &s.app.core)
                    };
                    let (tx, ty) = tokio::join!(act(cx, &s, x, invoice, order, due, n), async {
                        tokio::time::sleep(Duration::from_micros(offset)).await;
                        act(cy, &s, y, invoice, order, due, n).await
                    });
                    let case = format!("{x:?} then {y:?} after {offset} µs: {tx:?} / {ty:?}");

                    let row = invoices::Entity::find_by_id(invoice)
                        .one(read)
                        .await
                        .unwrap()
                        .unwrap();
                    let pays = payments::Entity::find()
                        .filter(payments::Column::InvoiceId.eq(invoice))
                        .all(read)
                        .await
                        .unwrap();
                    let succeeded: Vec<_> = pays
                        .iter()
                        .filter(|p| p.outcome == PaymentOutcome::Succeeded)
                        .collect();
                    let earned = commission_entries::Entity::find()
                        .filter(commission_entries::Column::InvoiceId.eq(invoice))
                        .all(read)
                        .await
                        .unwrap()
                        .len();
                    let order_row = order_rows::Entity::find_by_id(order)
                        .one(read)
                        .await
                        .unwrap()
                        .unwrap();
                    let after = credits::balance(&s.app.core, s.account, Currency::Usd)
                        .await
                        .unwrap();

                    // Exactly one settles it, unless both only close it (a void, then the
                    // order's cancellation, which finds nothing left to pay: both fine).
                    let closers = [Act::Cancel, Act::Void];
                    let won = [&tx, &ty].iter().filter(|t| ***t == Told::Won).count();
                    if closers.contains(&x) && closers.contains(&y) {
                        assert!(won >= 1, "{case}");
                    } else {
                        assert_eq!(won, 1, "{case}");
                    }
                    // The loser was told why: the invoice is paid or void now, or the
                    // gateway's money is kept for a refund.
                    for t in [&tx, &ty] {
                        if let Told::Refused(why) = t {
                            assert!(
                                why.contains("paid") || why.contains("void"),
                                "{case}: {why}"
                            );
                        }
                    }
                    match row.status {
                        InvoiceStatus::Paid => {
                            assert_eq!(succeeded.len(), 1, "{case}");
                            assert_eq!(order_row.status.as_str(), "placed", "{case}");
                            assert!(earned >= 1, "{case}: a paid invoice earns");
                            let by_credit = succeeded[0].gateway == PaymentGateway::Credit;
                            assert_eq!(
                                after.minor,
                                before.minor - if by_credit { due.minor } else { 0 },
                                "{case}: the balance"
                            );
                            assert_eq!(row.credit_minor, if by_credit { due.minor } else { 0 });
                        }
                        InvoiceStatus::Void => {
                            assert!(succeeded.is_empty(), "{case}");
                            assert_eq!(earned, 0, "{case}: nothing earned on a void invoice");
                            assert_eq!(after, before, "{case}: no credit spent");
                            if x == Act::Cancel || y == Act::Cancel {
                                let cancel_won = (x == Act::Cancel && tx == Told::Won)
                                    || (y == Act::Cancel && ty == Told::Won);
                                assert_eq!(
                                    order_row.status.as_str() == "cancelled",
                                    cancel_won,
                                    "{case}"
                                );
                            }
                        }
                        other => panic!("{case}: the invoice is {other:?}"),
                    }
                    // Money a gateway took for an invoice it could not pay is kept to refund.
                    let kept = pays
                        .iter()
                        .filter(|p| p.outcome == PaymentOutcome::Mismatch)
                        .count();
                    let told_kept = [&tx, &ty]
                        .iter()
                        .filter(|t| ***t == Told::KeptForRefund)
                        .count();
                    assert_eq!(kept, told_kept, "{case}");
                }
            }
        }
    }
}

/// A payment adding to a customer's stored 12-month revenue while the partner's figures are
/// recomputed (a new month, another currency), on two instances at many timings: the payment
/// is counted exactly once, before or after the recomputation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_racing_a_recomputation_of_the_12_month_figures_counts_once() {
    use partner_portal::{entities::partners, services::paid_12m};
    use sea_orm::sea_query::Expr;
    let s = shop().await;
    let b = second_instance(&s.app).await;
    let partner = s.org.id.uuid();
    paid_12m::recompute(&s.app.core, s.org.id).await.unwrap();
    let offsets_us = [0u64, 200, 700, 1_500, 4_000];
    let mut n = 1_000;
    for (k, &offset) in offsets_us.iter().enumerate() {
        for pay_first in [false, true] {
            n += 1;
            let (invoice, order, due) = open_invoice(&s).await;
            // The figures go stale (as a new month makes them), then one instance recomputes
            // while the other records a payment.
            partners::Entity::update_many()
                .col_expr(partners::Column::Paid12mFrom, Expr::value(None::<String>))
                .filter(partners::Column::Id.eq(partner))
                .exec(&s.app.core.db.write)
                .await
                .unwrap();
            let (cx, cy) = if k % 2 == 0 {
                (&s.app.core, &b.core)
            } else {
                (&b.core, &s.app.core)
            };
            let pay = async {
                if !pay_first {
                    tokio::time::sleep(Duration::from_micros(offset)).await;
                }
                act(cx, &s, Act::Webhook, invoice, order, due, n).await
            };
            let recompute = async {
                if pay_first {
                    tokio::time::sleep(Duration::from_micros(offset)).await;
                }
                paid_12m::recompute(cy, s.org.id).await.unwrap()
            };
            let (told, _) = tokio::join!(pay, recompute);
            assert_eq!(told, Told::Won, "offset {offset} µs");
            let case = format!("payment {n}, offset {offset} µs, payment first: {pay_first}");
            let all =
                crate::commission::stored_figures_match_the_months(&s.app.core, partner).await;
            assert!(all.iter().any(|(a, f)| *a == s.account && *f > 0), "{case}");
        }
    }
}
