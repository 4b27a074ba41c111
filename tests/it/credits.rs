//! Customer credits: the partner grants promotional credit and sells top-ups; credit
//! pays invoices wholly or partly, from the invoice page or the payment link; the balance never
//! goes below zero, even under concurrent payments; grants expire once, by the job; another
//! partner sees none of it.
use partner_portal::entities::{credit_ledger, invoices};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    helpers::*,
    orders::{order, shop, Shop},
};

async fn ledger(s: &Shop) -> Vec<credit_ledger::Model> {
    credit_ledger::Entity::find()
        .filter(credit_ledger::Column::AccountId.eq(s.account))
        .order_by_asc(credit_ledger::Column::CreatedAt)
        .all(&s.app.core.db.read)
        .await
        .unwrap()
}

async fn balance(s: &Shop) -> i64 {
    ledger(s).await.iter().map(|e| e.amount_minor).sum()
}

async fn newest_invoice(s: &Shop) -> invoices::Model {
    invoices::Entity::find()
        .filter(invoices::Column::AccountId.eq(s.account))
        .order_by_desc(invoices::Column::Seq)
        .one(&s.app.core.db.read)
        .await
        .unwrap()
        .unwrap()
}

async fn invoice(s: &Shop, id: uuid::Uuid) -> invoices::Model {
    invoices::Entity::find_by_id(id)
        .one(&s.app.core.db.read)
        .await
        .unwrap()
        .unwrap()
}

/// `amount` dollars of credit granted, then an order of `quantity` seats: its invoice.
async fn granted_and_invoiced(s: &Shop, amount: &str, quantity: &str) -> invoices::Model {
    let page = format!("/customers/{}/credits", s.customer);
    s.partner
        .post_form(
            &page,
            &format!("{page}/grant"),
            &[("amount", amount), ("currency", "USD"), ("note", "Launch")],
        )
        .await
        .expect_redirect(&page);
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", quantity)],
    )
    .await;
    newest_invoice(s).await
}

#[tokio::test]
async fn credit_is_granted_and_sold_pays_invoices_in_part_or_whole_and_grants_expire() {
    let s = shop().await;
    let (app, c) = (&s.app, &s.partner);
    let page = format!("/customers/{}/credits", s.customer);
    let grant = format!("{page}/grant");
    c.get(&page)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("No credit yet");

    // Bad grants: each refused next to its field, nothing written.
    let today = app.clock.now().date_naive();
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    for (fields, field) in [
        (
            vec![("amount", "0"), ("currency", "USD"), ("note", "x")],
            "amount",
        ),
        (
            vec![("amount", "-5"), ("currency", "USD"), ("note", "x")],
            "amount",
        ),
        (
            vec![("amount", "abc"), ("currency", "USD"), ("note", "x")],
            "amount",
        ),
        (
            vec![("amount", "5000000"), ("currency", "USD"), ("note", "x")],
            "amount",
        ),
        // A decimal comma is never guessed: "0,50" was once fifty dollars.
        (
            vec![("amount", "0,50"), ("currency", "USD"), ("note", "x")],
            "amount",
        ),
        (
            vec![("amount", "1,5"), ("currency", "USD"), ("note", "x")],
            "amount",
        ),
        (
            vec![("amount", "4.505"), ("currency", "USD"), ("note", "x")],
            "amount",
        ),
        (
            vec![("amount", "5"), ("currency", "XXX"), ("note", "x")],
            "currency",
        ),
        (
            vec![("amount", "5"), ("currency", "USD"), ("note", " ")],
            "note",
        ),
        (
            vec![
                ("amount", "5"),
                ("currency", "USD"),
                ("note", "x"),
                ("expires_on", &yesterday),
            ],
            "expires_on",
        ),
    ] {
        let res = c.post_form(&page, &grant, &fields).await;
        res.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.field_error(field).is_some(), "{field}: {}", res.body);
        // The typed amount is kept.
        assert_eq!(res.input_value("amount").as_deref(), Some(fields[0].1));
        if fields[0].1.contains(',') {
            let said = res.field_error("amount").unwrap();
            assert!(said.contains("write decimals with a point"), "{said}");
        }
    }
    assert!(ledger(&s).await.is_empty());
    // Without the CSRF token: refused, nothing written.
    c.post_raw(
        &grant,
        &[("amount", "5"), ("currency", "USD"), ("note", "x")],
    )
    .await
    .expect_status(StatusCode::FORBIDDEN);
    assert!(ledger(&s).await.is_empty());

    // $50.00 granted, usable for 10 days.
    let until = (today + chrono::Duration::days(10)).to_string();
    c.post_form(
        &page,
        &grant,
        &[
            ("amount", "50"),
            ("currency", "USD"),
            ("note", "Welcome offer"),
            ("expires_on", &until),
        ],
    )
    .await
    .expect_redirect(&page);
    c.get(&page)
        .await
        .expect_text("$50.00")
        .expect_text("Welcome offer")
        .expect_text("Pat &#60;p@example.com&#62;");

    // A $100.00 top-up is an invoice; paying it through its link adds the credit.
    let topup = c
        .post_form(
            &page,
            &format!("{page}/top-up"),
            &[("amount", "100"), ("currency", "USD")],
        )
        .await;
    let invoice_page = topup.location();
    assert!(invoice_page.starts_with("/invoices/"), "{invoice_page}");
    let top = newest_invoice(&s).await;
    assert_eq!((top.kind.as_str(), top.total_minor), ("top_up", 10_000));
    let link = partner_portal::services::invoices::link(&app.core, &top);
    let payer = app.client();
    let pay_page = payer.get(&link).await;
    // A top-up is not paid with credit: no credit form on its page.
    assert!(!pay_page.body.contains("Pay from credit"));
    payer
        .post_form(&link, &link, &[("card", "approve")])
        .await
        .expect_text("Paid");
    assert_eq!(balance(&s).await, 15_000);

    // An order of $90.00: $30.00 paid from credit by the partner, the rest left to pay.
    order(
        c,
        &s.customer,
        &[("product", &s.product), ("quantity", "10")],
    )
    .await;
    let inv = newest_invoice(&s).await;
    assert_eq!(inv.total_minor, 9_000);
    let ip = format!("/invoices/{}", inv.id);
    c.get(&ip).await.expect_text("$150.00 of credit");
    c.post_form(&ip, &format!("{ip}/credit"), &[("amount", "30")])
        .await
        .expect_redirect(&ip);
    let after = invoice(&s, inv.id).await;
    assert_eq!((after.status.as_str(), after.credit_minor), ("open", 3_000));
    c.get(&ip)
        .await
        .expect_text("Paid from credit")
        .expect_text("Amount due");
    // The payment link asks for the rest; more credit than is left is refused.
    let link = partner_portal::services::invoices::link(&app.core, &after);
    let pay_page = payer.get(&link).await;
    pay_page.expect_text("Pay $60.00").expect_text("$120.00");
    let too_much = payer
        .post_form(&link, &format!("{link}/credit"), &[("amount", "70")])
        .await;
    too_much
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("Only $60.00 is left to pay");
    let zero = payer
        .post_form(&link, &format!("{link}/credit"), &[("amount", "0")])
        .await;
    zero.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    payer
        .post_form(&link, &format!("{link}/credit"), &[("amount", "60")])
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Paid");
    assert_eq!(invoice(&s, inv.id).await.status.as_str(), "paid");
    assert_eq!(balance(&s).await, 6_000);
    app.smtp
        .wait_for("it@acme.example", &format!("Receipt for {}", inv.number))
        .await;

    // More than the balance: refused with the balance named.
    order(
        c,
        &s.customer,
        &[("product", &s.product), ("quantity", "10")],
    )
    .await;
    let next = newest_invoice(&s).await;
    let np = format!("/invoices/{}", next.id);
    c.post_form(&np, &format!("{np}/credit"), &[("amount", "61")])
        .await
        .expect_redirect(&np);
    c.get(&np).await.expect_text("The credit balance is $60.00");
    assert_eq!(invoice(&s, next.id).await.credit_minor, 0);

    // The grant was spent first (it expires); after its last day nothing is left of it to
    // expire, and a second grant's unspent $25.00 does expire, once.
    c.post_form(
        &page,
        &grant,
        &[
            ("amount", "25"),
            ("currency", "USD"),
            ("note", "Sorry for the outage"),
            (
                "expires_on",
                &(today + chrono::Duration::days(3)).to_string(),
            ),
        ],
    )
    .await
    .expect_redirect(&page);
    app.clock.advance(chrono::Duration::days(11));
    let expired = partner_portal::services::credits::expire_due(&app.core)
        .await
        .unwrap();
    assert_eq!(expired, 2, "both grants' expiry entries");
    assert_eq!(
        partner_portal::services::credits::expire_due(&app.core)
            .await
            .unwrap(),
        0
    );
    app.job_rounds_pass(2).await;
    assert_eq!(balance(&s).await, 6_000);
    c.get(&page)
        .await
        .expect_text("nothing was left")
        .expect_text("-$25.00");

    // Staff see the ledger, and cannot take the balance below zero either.
    s.staff
        .get(&format!("/staff/credits?account={}", s.account))
        .await
        .expect_text("Welcome offer")
        .expect_text("Acme");
    let account_page = format!("/staff/accounts/{}", s.account);
    let refused = s
        .staff
        .post_form(
            &account_page,
            &format!("{account_page}/credits"),
            &[
                ("kind", "adjustment"),
                ("currency", "USD"),
                ("amount", "-61"),
            ],
        )
        .await;
    refused.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .field_error("amount")
        .is_some_and(|m| m.contains("$60.00")));
    assert_eq!(balance(&s).await, 6_000);
}

#[tokio::test]
async fn concurrent_payments_from_credit_never_take_the_balance_below_zero() {
    let s = shop().await;
    let inv = granted_and_invoiced(&s, "60", "10").await;
    let ip = format!("/invoices/{}", inv.id);
    let token = s.partner.get(&ip).await.csrf();
    let action = format!("{ip}/credit");
    // Eight payments of $10.00 at once against a $60.00 balance.
    let fields = [("csrf_token", token.as_str()), ("amount", "10")];
    let all =
        futures_util::future::join_all((0..8).map(|_| s.partner.post_raw(&action, &fields))).await;
    assert!(all.iter().all(|p| p.status == StatusCode::SEE_OTHER));
    assert_eq!(balance(&s).await, 0);
    let after = invoice(&s, inv.id).await;
    assert_eq!(after.credit_minor, 6_000);
    assert_eq!(after.status.as_str(), "open");
    let spends = ledger(&s)
        .await
        .into_iter()
        .filter(|e| e.amount_minor < 0)
        .count();
    assert_eq!(spends, 6);
}

#[tokio::test]
async fn another_partner_cannot_see_or_spend_a_customers_credit() {
    let s = shop().await;
    let app = &s.app;
    let page = format!("/customers/{}/credits", s.customer);
    let inv = granted_and_invoiced(&s, "20", "1").await;
    crate::registrations::quick_partner(app, "other@example.com", "Other Co").await;
    let other = app.client();
    other.sign_in("other@example.com", PASSWORD).await;
    other.get(&page).await.expect_status(StatusCode::NOT_FOUND);
    let token = other.get("/customers").await.csrf();
    for (path, fields) in [
        (
            format!("{page}/grant"),
            vec![("amount", "5"), ("currency", "USD"), ("note", "x")],
        ),
        (
            format!("{page}/top-up"),
            vec![("amount", "5"), ("currency", "USD")],
        ),
        (
            format!("/invoices/{}/credit", inv.id),
            vec![("amount", "5")],
        ),
    ] {
        let mut all = fields.clone();
        all.push(("csrf_token", &token));
        other
            .post_raw(&path, &all)
            .await
            .expect_status(StatusCode::NOT_FOUND);
    }
    assert_eq!(balance(&s).await, 2_000);
    assert_eq!(invoice(&s, inv.id).await.credit_minor, 0);
}

#[tokio::test]
async fn staff_correct_a_paid_invoice_with_credit_notes_that_go_to_the_balance() {
    let s = shop().await;
    let app = &s.app;
    // Germany at 19 %: 10 seats at $9.00 is $90.00 and $17.10 tax, $107.10.
    s.staff
        .post_form(
            "/staff/tax-rates",
            "/staff/tax-rates",
            &[("country", "DE"), ("rate", "19")],
        )
        .await
        .expect_redirect("/staff/tax-rates");
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "10")],
    )
    .await;
    let inv = newest_invoice(&s).await;
    assert_eq!(inv.total_minor, 10_710);
    let ip = format!("/invoices/{}", inv.id);
    let cn = format!("{ip}/credit-note");
    // An open invoice is not credited (it is voided).
    s.staff
        .post_form(&ip, &cn, &[("amount", "10"), ("reason", "Outage")])
        .await
        .expect_redirect(&ip);
    s.staff.get(&ip).await.expect_text("an open one is voided");
    assert_eq!(balance(&s).await, 0);
    // Paid by link, then credited $53.55 (half): tax $8.55 of it, in the invoice's proportion.
    let link = partner_portal::services::invoices::link(&app.core, &inv);
    app.client()
        .post_form(&link, &link, &[("card", "approve")])
        .await
        .expect_text("Paid");
    s.staff
        .get(&ip)
        .await
        .expect_text("Correct with a credit note");
    // The partner cannot issue one.
    let token = s.partner.get(&ip).await.csrf();
    s.partner
        .post_raw(
            &cn,
            &[("csrf_token", &token), ("amount", "1"), ("reason", "x")],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
    // A reason is required; more than was paid is refused.
    s.staff
        .post_form(&ip, &cn, &[("amount", "10"), ("reason", " ")])
        .await
        .expect_redirect(&ip);
    s.staff
        .post_form(&ip, &cn, &[("amount", "107.11"), ("reason", "Too much")])
        .await
        .expect_redirect(&ip);
    s.staff.get(&ip).await.expect_text("at most $107.10");
    let first = s
        .staff
        .post_form(
            &ip,
            &cn,
            &[("amount", "53.55"), ("reason", "Outage in March")],
        )
        .await;
    let note_page = first.location();
    assert!(note_page.starts_with("/invoices/"));
    let year = chrono::Datelike::year(&app.clock.now());
    s.staff
        .get(&note_page)
        .await
        .expect_text(&format!("Credit note CN-{year}-000001"))
        .expect_text(&inv.number)
        .expect_text("-$45.00")
        .expect_text("-$8.55")
        .expect_text("-$53.55");
    assert_eq!(balance(&s).await, 5_355);
    // The rest can be credited, not a cent more; the paid invoice itself never changed.
    s.staff
        .post_form(&ip, &cn, &[("amount", "53.56"), ("reason", "More")])
        .await
        .expect_redirect(&ip);
    assert_eq!(balance(&s).await, 5_355);
    s.staff
        .post_form(&ip, &cn, &[("amount", "53.55"), ("reason", "The rest")])
        .await;
    assert_eq!(balance(&s).await, 10_710);
    let again = invoice(&s, inv.id).await;
    assert_eq!((again.status.as_str(), again.total_minor), ("paid", 10_710));
    // The partner sees the credit notes in the customer's invoices, and their PDF.
    s.partner
        .get(&format!("/customers/{}", s.customer))
        .await
        .expect_text(&format!("CN-{year}-000002"))
        .expect_text("Credit note");
    let (status, _, bytes) = s.partner.get_bytes(&format!("{note_page}/pdf")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"%PDF-"));
}

#[tokio::test]
async fn voiding_an_invoice_gives_back_the_credit_paid_towards_it() {
    let s = shop().await;
    let inv = granted_and_invoiced(&s, "50", "10").await;
    let ip = format!("/invoices/{}", inv.id);
    s.partner
        .post_form(&ip, &format!("{ip}/credit"), &[("amount", "50")])
        .await
        .expect_redirect(&ip);
    assert_eq!(balance(&s).await, 0);
    s.staff
        .post_form(
            &ip,
            &format!("{ip}/close"),
            &[
                ("to_status", "void"),
                ("reason", "Issued twice"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(invoice(&s, inv.id).await.status.as_str(), "void");
    assert_eq!(balance(&s).await, 5_000);
    s.partner
        .get(&format!("/customers/{}/credits", s.customer))
        .await
        .expect_text("given back");
}
