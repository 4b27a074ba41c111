//! Renewal invoices and prorated seats: the clock is moved to a known 1 March so a
//! monthly term is 31 days, then through the term: seats added mid-term pay by day, the renewal
//! is invoiced 14 days before the term ends, once, however often and wherever the job runs.
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use partner_portal::{
    entities::{invoices, orders},
    services::renewals::renewal_invoices,
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    helpers::*,
    orders::{order, shop, Shop},
};

/// Moves the clock to noon UTC on `date` (which must be ahead).
fn move_to(app: &TestApp, date: NaiveDate) {
    let target = Utc.from_utc_datetime(&date.and_hms_opt(12, 0, 0).unwrap());
    let by = target - app.clock.now();
    assert!(by > chrono::Duration::zero(), "{date} is not ahead");
    app.clock.advance(by);
}

/// The next 1 March at least a day ahead.
fn next_first_of_march(app: &TestApp) -> NaiveDate {
    let now = app.clock.now().date_naive();
    let this_year = NaiveDate::from_ymd_opt(now.year(), 3, 1).unwrap();
    if this_year > now {
        this_year
    } else {
        NaiveDate::from_ymd_opt(now.year() + 1, 3, 1).unwrap()
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The registration's invoices, oldest first: (number, kind, total in minor units).
async fn invoices_of(s: &Shop) -> Vec<invoices::Model> {
    invoices::Entity::find()
        .filter(invoices::Column::AccountId.eq(s.account))
        .order_by_asc(invoices::Column::Seq)
        .all(&s.app.core.db.read)
        .await
        .unwrap()
}

/// How many renewal invoices the jobs (the loop's or this test's call) issued for the account
/// while `step` ran: the loop runs every 100 ms, so it may be the one that issues them.
async fn renewals_during(s: &Shop, step: impl std::future::Future<Output = ()>) -> usize {
    let count = || async {
        invoices_of(s)
            .await
            .iter()
            .filter(|i| i.kind.as_str() == "renewal")
            .count()
    };
    let before = count().await;
    step.await;
    renewal_invoices(&s.app.core).await.unwrap();
    count().await - before
}

/// Changes the license's seats through its page.
async fn set_seats(c: &Client, license: &str, seats: &str) {
    let lp = format!("/licenses/{license}");
    let key = c.get(&lp).await.input_value("key").unwrap();
    c.post_form(
        &lp,
        &format!("{lp}/seats"),
        &[("seats", seats), ("key", &key)],
    )
    .await
    .expect_redirect(&lp);
}

#[tokio::test]
async fn renewals_are_invoiced_once_before_the_term_ends_and_added_seats_pay_by_day() {
    let s = shop().await;
    let (app, c) = (&s.app, &s.partner);
    let march = next_first_of_march(app);
    let y = march.year();
    move_to(app, march);
    // 10 seats a month at $9.00 from 1 March: the term ends 1 April (31 days).
    let placed = order(
        c,
        &s.customer,
        &[
            ("product", &s.product),
            ("quantity", "10"),
            ("auto_renew", "on"),
        ],
    )
    .await;
    let license = c.get(&placed).await.id_after("/licenses/");
    assert_eq!(invoices_of(&s).await.len(), 1);

    // 11 March: 5 seats more, for the 21 days left of 31: 5 × $9.00 × 21/31 = $30.48.
    move_to(app, d(y, 3, 11));
    set_seats(c, &license, "15").await;
    let all = invoices_of(&s).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].total_minor, 3048);
    let page = c.get(&format!("/invoices/{}", all[1].id)).await;
    page.expect_text("seats added (10 → 15), by day for 11 Mar")
        .expect_text("to 1 Apr")
        .expect_text("$30.48");

    // 17 March: 15 days before the end, nothing yet (the lead is 14 days).
    assert_eq!(
        renewals_during(&s, async { move_to(app, d(y, 3, 17)) }).await,
        0
    );
    // 18 March: the renewal is invoiced, for 15 seats from 1 April to 1 May: $135.00.
    assert_eq!(
        renewals_during(&s, async { move_to(app, d(y, 3, 18)) }).await,
        1
    );
    assert_eq!(renewal_invoices(&app.core).await.unwrap(), 0);
    app.job_rounds_pass(2).await;
    let all = invoices_of(&s).await;
    assert_eq!(all.len(), 3, "one renewal invoice");
    let renewal = &all[2];
    assert_eq!(renewal.kind.as_str(), "renewal");
    assert_eq!(renewal.total_minor, 13_500);
    assert_eq!(renewal.number, format!("INV-{y}-000003"));
    c.get(&format!("/invoices/{}", renewal.id))
        .await
        .expect_text("renewal for 1 Apr")
        .expect_text("to 1 May")
        .expect_text("15 seats");
    // The customer is sent its link.
    let mail = app
        .smtp
        .wait_for("it@acme.example", &format!("Invoice {}", renewal.number))
        .await;
    assert!(mail.text.contains("/pay/"), "{}", mail.text);
    // A renewal order cannot be cancelled like a new one.
    let renewal_order = orders::Entity::find_by_id(renewal.order_id.unwrap())
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewal_order.kind.as_str(), "renewal");
    let op = format!("/orders/{}", renewal_order.id);
    c.get(&op)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Renewal");

    // 20 March, after the renewal's invoice: one seat more pays the 12 days left of March and
    // the whole next term: $9.00 × 12/31 = $3.48, plus $9.00.
    move_to(app, d(y, 3, 20));
    set_seats(c, &license, "16").await;
    let all = invoices_of(&s).await;
    assert_eq!(all.len(), 4);
    assert_eq!(all[3].total_minor, 348 + 900);

    // 1 April: the license renews (nothing more to invoice); 17 April, the May renewal.
    move_to(app, d(y, 4, 1));
    app.job_rounds_pass(2).await;
    assert_eq!(invoices_of(&s).await.len(), 4);
    assert_eq!(
        renewals_during(&s, async { move_to(app, d(y, 4, 17)) }).await,
        1
    );
    let all = invoices_of(&s).await;
    assert_eq!(all[4].total_minor, 16 * 900);
    // Auto-renew off before the May term: its open invoice is voided, and nothing more is
    // invoiced.
    let lp = format!("/licenses/{license}");
    c.post_form(&lp, &format!("{lp}/renewal"), &[("auto_renew", "off")])
        .await
        .expect_redirect(&lp);
    let all = invoices_of(&s).await;
    assert_eq!(all[4].status.as_str(), "void");
    assert!(all[4]
        .close_reason
        .as_deref()
        .is_some_and(|r| r.contains("Auto-renew")));
    assert_eq!(
        renewals_during(&s, async { move_to(app, d(y, 4, 25)) }).await,
        0
    );
    // On again within the lead time: invoiced again on the job's next run.
    let on = async {
        c.post_form(&lp, &format!("{lp}/renewal"), &[("auto_renew", "on")])
            .await
            .expect_redirect(&lp);
    };
    assert_eq!(renewals_during(&s, on).await, 1);
}

#[tokio::test]
async fn two_instances_running_the_renewal_job_at_once_issue_each_invoice_once() {
    let s = shop().await;
    let app = &s.app;
    // A second instance on the same database, its clock moved with the first's.
    let other = spawn_app_with(Options {
        smtp: Some(app.smtp.clone()),
        database_url: Some(app.config.database_url.clone()),
        ..Options::default()
    })
    .await;
    for q in ["1", "2", "3", "4", "5", "6"] {
        order(
            &s.partner,
            &s.customer,
            &[
                ("product", &s.product),
                ("quantity", q),
                ("auto_renew", "on"),
            ],
        )
        .await;
    }
    let by = chrono::Duration::days(20);
    app.clock.advance(by);
    other.clock.advance(by);
    let (a, b, c2, d2) = tokio::join!(
        renewal_invoices(&app.core),
        renewal_invoices(&other.core),
        renewal_invoices(&app.core),
        renewal_invoices(&other.core),
    );
    let issued: usize = [a, b, c2, d2].into_iter().map(Result::unwrap).sum();
    assert_eq!(issued, 6);
    let all = invoices_of(&s).await;
    assert_eq!(
        all.iter().filter(|i| i.kind.as_str() == "renewal").count(),
        6
    );
    // Numbers without gaps or repeats: 1 to 12.
    let seqs: Vec<i64> = all.iter().map(|i| i.seq).collect();
    assert_eq!(seqs, (1..=12).collect::<Vec<i64>>());
    other.stop().await;
}
