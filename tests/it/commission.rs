//! Commission and revenue: a paid invoice earns its partner the registration's rate
//! on each line, in the payment's transaction; a credit note reverses (half to even); granted
//! promotional credit is charged; the month-end job closes statements (a debt carried), staff
//! approve and record the payout, the partner sees it; nothing earns twice or on a
//! registration that was not active on the invoice's date; another partner sees nothing.
use partner_portal::{
    entities::{commission_entries, commission_statements, invoices, registrations},
    services::{
        commission,
        export::{Batch, Paged},
        invoices::{self as invoice_list, InvoiceQuery, InvoiceSelection},
        registrations::{CustomerExport, CustomerRow},
        revenue::{self, LineSelection, RevenueQuery},
    },
};
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    helpers::*,
    orders::{order, shop, Shop},
};

async fn newest_invoice(s: &Shop) -> invoices::Model {
    invoices::Entity::find()
        .filter(invoices::Column::AccountId.eq(s.account))
        .filter(invoices::Column::Kind.ne("credit_note"))
        .order_by_desc(invoices::Column::IssuedAt)
        .one(&s.app.core.db.read)
        .await
        .unwrap()
        .unwrap()
}

/// Orders `seats` seats at $9.00 and pays the invoice by its link with the test card.
async fn ordered_and_paid(s: &Shop, seats: &str) -> invoices::Model {
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", seats)],
    )
    .await;
    let inv = newest_invoice(s).await;
    let link = partner_portal::services::invoices::link(&s.app.core, &inv);
    s.app
        .client()
        .post_form(&link, &link, &[("card", "approve")])
        .await
        .expect_text("Paid");
    inv
}

/// Staff issue a credit note of `amount` against `inv`.
async fn credit_note(s: &Shop, inv: &invoices::Model, amount: &str) {
    let ip = format!("/invoices/{}", inv.id);
    s.staff
        .post_form(
            &ip,
            &format!("{ip}/credit-note"),
            &[("amount", amount), ("reason", "Goodwill")],
        )
        .await
        .expect_redirect("/invoices/");
}

async fn entries(s: &Shop) -> Vec<commission_entries::Model> {
    commission_entries::Entity::find()
        .order_by_asc(commission_entries::Column::CreatedAt)
        .all(&s.app.core.db.read)
        .await
        .unwrap()
}

async fn statements(s: &Shop) -> Vec<commission_statements::Model> {
    commission_statements::Entity::find()
        .order_by_asc(commission_statements::Column::Period)
        .all(&s.app.core.db.read)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_paid_invoice_earns_a_credit_note_reverses_a_grant_charges_and_the_month_closes() {
    let s = shop().await;
    let app = &s.app;
    let c = &s.partner;
    // Nothing yet: the page says what comes there.
    c.get("/revenue")
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Nothing paid yet");

    // 3 seats at $9.00: $27.00 paid, 10 % commission $2.70.
    let inv = ordered_and_paid(&s, "3").await;
    let e = entries(&s).await;
    assert_eq!(e.len(), 1, "one line, one entry");
    assert_eq!(
        (
            e[0].kind.as_str(),
            e[0].base_minor,
            e[0].rate_bp,
            e[0].amount_minor
        ),
        ("earned", 2_700, 1_000, 270)
    );
    let page = c.get("/revenue").await;
    page.expect_text("$27.00")
        .expect_text("$2.70")
        .expect_text("Acme")
        .expect_text("Open");
    // The chart: an SVG named as an image, with this month's bar; the table beside it.
    assert!(page.body.contains("<svg role=\"img\""));
    assert!(page
        .body
        .contains("aria-label=\"Paid revenue (bars) and commission (line)"));
    assert!(page.body.contains("$27.00 paid, $2.70 commission"));
    // Per customer this month, or over 12 months.
    c.get("/revenue?window=12")
        .await
        .expect_text("Per customer, 12 months")
        .expect_text("Acme");
    // One customer's figures, from its page's link.
    let customer_page = c.get(&format!("/customers/{}", s.customer)).await;
    let revenue_link = format!("/revenue?customer={}", s.customer);
    assert!(customer_page.body.contains(&revenue_link));
    c.get(&revenue_link)
        .await
        .expect_text("Showing one customer")
        .expect_text("Acme")
        .expect_text("$27.00");
    // The CSV has the line behind the figures.
    let (status, _, csv) = c.get_bytes("/revenue/export.csv").await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains(&inv.number) && l.contains(",27.00,10.00,2.70,USD,")),
        "{csv}"
    );

    // A credit note of $0.15: 10 % is 1.5 cents, reversed as 2 (half to even).
    credit_note(&s, &inv, "0.15").await;
    // Promotional credit of $5.00 the partner grants: charged to its statement.
    let credits = format!("/customers/{}/credits", s.customer);
    c.post_form(
        &credits,
        &format!("{credits}/grant"),
        &[("amount", "5"), ("currency", "USD"), ("note", "Welcome")],
    )
    .await
    .expect_redirect(&credits);
    let e = entries(&s).await;
    let kinds: Vec<(&str, i64)> = e
        .iter()
        .map(|e| (e.kind.as_str(), e.amount_minor))
        .collect();
    assert_eq!(kinds, [("earned", 270), ("reversed", 2), ("charged", 500)]);
    let st = statements(&s).await;
    assert_eq!(st.len(), 1);
    assert_eq!(
        (
            st[0].earned_minor,
            st[0].reversed_minor,
            st[0].charged_minor,
            st[0].status.as_str()
        ),
        (270, 2, 500, "open")
    );
    // Paid revenue less the credit note, commission less its reversal.
    c.get("/revenue")
        .await
        .expect_text("$26.85")
        .expect_text("$2.68");

    // The month ends (and its grace passes): the statement closes with its debt, which opens
    // the next month; running the job again changes nothing.
    let period = st[0].period.clone();
    let start = commission::period_start(&commission::next_period(&period)).unwrap();
    let to = start.and_hms_opt(0, 10, 0).unwrap().and_utc();
    app.clock.advance(to - app.core.now());
    commission::close_months(&app.core).await.unwrap();
    assert_eq!(commission::close_months(&app.core).await.unwrap(), 0);
    let st = statements(&s).await;
    assert_eq!(st.len(), 2);
    assert_eq!(
        (st[0].status.as_str(), st[0].closing_minor),
        ("closed", 270 - 2 - 500)
    );
    assert_eq!(
        (
            st[1].period.as_str(),
            st[1].opening_minor,
            st[1].status.as_str()
        ),
        (commission::next_period(&period).as_str(), -232, "open")
    );
    // Late events go to the open month: a payment now counts in the new statement.
    ordered_and_paid(&s, "1").await;
    let st = statements(&s).await;
    assert_eq!((st[0].earned_minor, st[1].earned_minor), (270, 90));

    // Staff approve the closed statement, then record its payout; the partner sees it.
    let closed = st[0].id.to_string();
    let list = format!("/staff/revenue?period={period}");
    s.staff
        .get(&list)
        .await
        .expect_text("Reseller Co")
        .expect_text("Closed");
    // Paying out before approval is refused, and so is a payout without reference.
    s.staff
        .post_form(
            &list,
            "/staff/revenue/advance",
            &[
                ("statement", &closed),
                ("action", "paid"),
                ("reference", "T-1"),
                ("back", &list),
            ],
        )
        .await
        .expect_redirect(&list);
    s.staff
        .get(&list)
        .await
        .expect_text("Only closed statements");
    s.staff
        .post_form(
            &list,
            "/staff/revenue/advance",
            &[
                ("statement", &closed),
                ("action", "approve"),
                ("back", &list),
            ],
        )
        .await
        .expect_redirect(&list);
    s.staff
        .get(&list)
        .await
        .expect_text("1 statement approved")
        .expect_text("Approved");
    s.staff
        .post_form(
            &list,
            "/staff/revenue/advance",
            &[
                ("statement", &closed),
                ("action", "paid"),
                ("reference", " "),
                ("back", &list),
            ],
        )
        .await
        .expect_redirect(&list);
    s.staff.get(&list).await.expect_text("Enter the payout");
    s.staff
        .post_form(
            &list,
            "/staff/revenue/advance",
            &[
                ("statement", &closed),
                ("action", "paid"),
                ("reference", "WIRE-2027-001"),
                ("back", &list),
            ],
        )
        .await
        .expect_redirect(&list);
    c.get("/revenue")
        .await
        .expect_text("Paid out")
        .expect_text("WIRE-2027-001");
    // The statement's page lists its lines; its CSV too.
    let statement = format!("/revenue/statements/{closed}");
    c.get(&statement)
        .await
        .expect_text(&inv.number)
        .expect_text("Reversed")
        .expect_text("Charged")
        .expect_text("-$2.32");
    let (status, headers, body) = c.get_bytes(&format!("{statement}?format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"commission-{period}-USD.csv\"").as_str()
    );
    let csv = String::from_utf8(body).unwrap();
    assert!(
        csv.starts_with("month,kind,invoice,customer,product,description,base,rate_percent,amount,currency,recorded_at\n"),
        "{csv}"
    );
    let kinds: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .collect();
    assert_eq!(kinds, ["earned", "reversed", "charged"], "{csv}");
    // Staff read the same CSV, and every statement's figures: a debt stays a number.
    let staff_statement = format!("/staff/revenue/statements/{closed}?format=csv");
    assert_eq!(s.staff.get_bytes(&staff_statement).await.2, csv.as_bytes());
    let (status, headers, body) = s
        .staff
        .get_bytes(&format!("/staff/revenue/export.csv?period={period}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"commission-statements.csv\""
    );
    assert_eq!(
        String::from_utf8(body).unwrap(),
        format!(
            "month,partner,currency,opening,earned,reversed,charged,closing,status,payout_reference\n\
             {period},Reseller Co,USD,0.00,2.70,0.02,5.00,-2.32,paid,WIRE-2027-001\n"
        )
    );
    // Another partner: not found, and its own revenue is empty.
    crate::registrations::quick_partner(app, "other@example.com", "Other Co").await;
    let other = app.client();
    other.sign_in("other@example.com", PASSWORD).await;
    other
        .get(&statement)
        .await
        .expect_status(StatusCode::NOT_FOUND);
    let mine = other.get("/revenue").await;
    mine.expect_text("Nothing paid yet");
    assert!(!mine.body.contains("Acme"));
    // Staff only: the partner cannot approve.
    let token = c.get("/revenue").await.csrf();
    c.post_raw(
        "/staff/revenue/advance",
        &[
            ("csrf_token", &token),
            ("statement", &closed),
            ("action", "approve"),
        ],
    )
    .await
    .expect_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn nothing_earns_twice_nor_on_a_registration_not_active_on_the_invoices_date() {
    let s = shop().await;
    let app = &s.app;
    let inv = ordered_and_paid(&s, "2").await;
    // A second approval for it (another tab, another gateway answer): refused, still one entry.
    use partner_portal::{
        domain::{
            invoice::InvoiceStatus,
            settlement::{Decision, Refusal},
        },
        services::invoices::Settled,
    };
    let amount =
        partner_portal::domain::Money::new(inv.total_minor, partner_portal::domain::Currency::Usd);
    let again = test_card_answer(
        &app.core,
        inv.id,
        "a-second-answer",
        amount,
        "again@acme.example",
    )
    .await;
    assert_eq!(
        again.unwrap(),
        Settled::Decided(Decision::Refused(Refusal::NotOpen(InvoiceStatus::Paid)))
    );
    assert_eq!(entries(&s).await.len(), 1);

    // An invoice issued after the relationship ended (as if a job issued it late): paid, it
    // earns nothing.
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "1")],
    )
    .await;
    let late = newest_invoice(&s).await;
    registrations::Entity::update_many()
        .set(registrations::ActiveModel {
            status: Set(partner_portal::domain::Status::Ended),
            updated_at: Set(late.issued_at - chrono::Duration::minutes(1)),
            ..Default::default()
        })
        .filter(registrations::Column::Id.eq(s.customer.parse::<uuid::Uuid>().unwrap()))
        .exec(&app.core.db.write)
        .await
        .unwrap();
    let link = partner_portal::services::invoices::link(&app.core, &late);
    app.client()
        .post_form(&link, &link, &[("card", "approve")])
        .await
        .expect_text("Paid");
    let e = entries(&s).await;
    assert_eq!(e.len(), 1, "the late invoice earned nothing: {e:?}");
    assert_eq!(e[0].invoice_id, Some(inv.id));
}

#[tokio::test]
async fn the_api_lists_statements_and_their_lines_with_the_commission_scope_only() {
    use partner_portal::{
        domain::{CommissionRate, PlainName},
        services::{
            api_apps::{self, SCOPE_COMMISSION, SCOPE_READ},
            audit::Actor,
        },
    };
    let s = shop().await;
    let app = &s.app;
    let inv = ordered_and_paid(&s, "3").await;
    let new_app = |scopes: &'static [&'static str]| async move {
        let (a, secret) = api_apps::create(
            &app.core,
            &Actor::system("test"),
            s.org.id,
            PlainName::parse("Books", "n").unwrap(),
            scopes,
            CommissionRate::parse("10").unwrap(),
        )
        .await
        .unwrap();
        crate::api::Api {
            app_id: a.id,
            base: app.base.clone(),
            http: reqwest::Client::new(),
            client_id: a.client_id,
            secret,
        }
    };
    let path = "/partner/external/v3/general/commission/statements";
    // Without the scope: 403 naming it.
    let reader = new_app(&[SCOPE_READ]).await;
    let token = reader.token().await;
    let (status, problem) = reader.get(&token, path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(problem.to_string().contains("elements.commission.read.all"));
    // With it: the open statement, then its line.
    let books = new_app(&[SCOPE_READ, SCOPE_COMMISSION]).await;
    let token = books.token().await;
    let (status, list) = books.get(&token, path).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let st = &list["items"][0];
    assert_eq!(st["status"], "open");
    assert_eq!(st["currency"], "USD");
    assert_eq!(st["earned"], 270);
    assert_eq!(st["closing"], 270);
    let id = st["id"].as_str().unwrap();
    let (status, lines) = books.get(&token, &format!("{path}/{id}/lines")).await;
    assert_eq!(status, StatusCode::OK, "{lines}");
    assert_eq!(lines["items"][0]["invoiceNumber"], inv.number.as_str());
    assert_eq!(lines["items"][0]["base"], 2_700);
    assert_eq!(lines["items"][0]["rateBp"], 1_000);
    assert_eq!(lines["items"][0]["amount"], 270);
    // Another partner's app: not found; a malformed id too.
    let other = crate::api::app_for(app, "o@example.com", &[SCOPE_COMMISSION]).await;
    let other_token = other.token().await;
    let (status, _) = other.get(&other_token, &format!("{path}/{id}/lines")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = other.get(&other_token, path).await;
    assert_eq!(
        (status, list["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    let (status, _) = books.get(&token, &format!("{path}/not-an-id/lines")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The OpenAPI document names both paths and the scope.
    let doc = reqwest::get(format!("{}/api/openapi.json", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(doc.contains("/partner/external/v3/general/commission/statements/{id}/lines"));
    assert!(doc.contains("elements.commission.read.all"));
}

#[tokio::test]
async fn my_customers_shows_and_sorts_by_the_revenue_of_12_months() {
    let s = shop().await;
    crate::customer_prices::active_customer(&s.app, &s.org, "b@beta.example", "Beta Ltd").await;
    ordered_and_paid(&s, "3").await;
    let page = s.partner.get("/customers").await;
    page.expect_text("Revenue (12 months)")
        .expect_text("$27.00");
    let position = |body: &str, name: &str| body.find(name).unwrap_or_else(|| panic!("{name}"));
    let desc = s.partner.get("/customers?sort=revenue&dir=desc").await;
    assert!(position(&desc.body, "Acme") < position(&desc.body, "Beta Ltd"));
    let asc = s.partner.get("/customers?sort=revenue&dir=asc").await;
    assert!(position(&asc.body, "Beta Ltd") < position(&asc.body, "Acme"));
}

/// Each registration's stored 12-month figure equals the sum of the monthly rows behind it
/// (its account's paid revenue with the partner, in the figures' currency, since their first
/// month), once the partner's figures are current. Returns (company's account, figure) pairs.
pub async fn stored_figures_match_the_months(
    core: &partner_portal::services::Core,
    partner: uuid::Uuid,
) -> Vec<(uuid::Uuid, i64)> {
    use partner_portal::entities::{partners, revenue_months};
    let p = partners::Entity::find_by_id(partner)
        .one(&core.db.write)
        .await
        .unwrap()
        .unwrap();
    let (Some(currency), Some(from)) = (p.paid_12m_currency, p.paid_12m_from) else {
        panic!("the figures are not current");
    };
    assert_eq!(from, partner_portal::services::paid_12m::window_start(core));
    let regs = registrations::Entity::find()
        .filter(registrations::Column::PartnerId.eq(partner))
        .all(&core.db.write)
        .await
        .unwrap();
    let mut out = Vec::new();
    for r in regs {
        let months: i64 = revenue_months::Entity::find()
            .filter(revenue_months::Column::PartnerId.eq(partner))
            .filter(revenue_months::Column::AccountId.eq(r.account_id))
            .filter(revenue_months::Column::Currency.eq(currency.code()))
            .filter(revenue_months::Column::Period.gte(from.as_str()))
            .all(&core.db.write)
            .await
            .unwrap()
            .iter()
            .map(|m| m.paid_minor)
            .sum();
        assert_eq!(r.paid_12m_minor, months, "registration {}", r.id);
        out.push((r.account_id, r.paid_12m_minor));
    }
    out
}

#[tokio::test]
async fn the_stored_12_month_revenue_follows_payments_refunds_the_month_roll_and_the_currency() {
    use partner_portal::{domain::Currency, services::paid_12m};
    let s = shop().await;
    let core = &s.app.core;
    let partner = s.org.id.uuid();
    let figure_of = |all: Vec<(uuid::Uuid, i64)>| {
        all.iter()
            .find(|(a, _)| *a == s.account)
            .map(|(_, f)| *f)
            .unwrap()
    };
    // Computed on the first view; nothing paid yet.
    s.partner.get("/customers").await.expect_text("$0.00");
    assert_eq!(
        figure_of(stored_figures_match_the_months(core, partner).await),
        0
    );

    // A payment adds to the figure in its own transaction: no recomputation needed.
    ordered_and_paid(&s, "3").await;
    assert_eq!(
        figure_of(stored_figures_match_the_months(core, partner).await),
        2_700
    );
    s.partner.get("/customers").await.expect_text("$27.00");

    // A refund (a credit note of $0.15) takes its net off the figure the same way.
    credit_note(&s, &newest_invoice(&s).await, "0.15").await;
    s.partner.get("/customers").await.expect_text("$26.85");
    assert_eq!(
        figure_of(stored_figures_match_the_months(core, partner).await),
        2_685
    );

    // Paid more in euros than in dollars this year: the column turns to euros (the job
    // notices the new leading currency and recomputes).
    let txn = core.db.begin().await.unwrap();
    commission::execute(
        &txn,
        commission::revenue_upserts(
            core.db.backend(),
            partner,
            s.account,
            &commission::period_of(core.now()),
            Currency::Eur,
            commission::RevenueDelta {
                paid: 5_000,
                ..Default::default()
            },
        ),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    paid_12m::recompute_stale(core, true).await.unwrap();
    s.partner.get("/customers").await.expect_text("€50.00");
    assert_eq!(
        figure_of(stored_figures_match_the_months(core, partner).await),
        5_000
    );

    // Twelve months on, the month-end job recomputes: this year's payments left the window.
    s.app.clock.advance(chrono::Duration::days(366));
    paid_12m::recompute_stale(core, true).await.unwrap();
    assert_eq!(
        figure_of(stored_figures_match_the_months(core, partner).await),
        0
    );
    s.partner.get("/customers").await.expect_text("$0.00");
}

#[tokio::test]
async fn the_12_month_customer_table_read_from_stored_figures_equals_the_summed_months() {
    use partner_portal::{
        domain::Currency,
        services::{paid_12m, revenue},
    };
    let app = spawn_app().await;
    let org = crate::registrations::quick_partner(&app, "p@example.com", "Reseller Co").await;
    let core = &app.core;
    let this = commission::period_of(core.now());
    let earlier = commission::last_periods(&this, 3).swap_remove(0);
    // 60 customers, each paid a different amount over two months, some invoiced and unpaid.
    for i in 0..60i64 {
        let email = format!("c{i}@example.com");
        let account = app.account(&email, &format!("Customer {i:02}")).await;
        crate::search::register(&app, &org, &email, &format!("Customer {i:02}")).await;
        let txn = core.db.begin().await.unwrap();
        for (period, paid) in [(&this, 100 * i), (&earlier, 7 * i)] {
            commission::execute(
                &txn,
                commission::revenue_upserts(
                    core.db.backend(),
                    org.id.uuid(),
                    account.uuid(),
                    period,
                    Currency::Usd,
                    commission::RevenueDelta {
                        invoiced: paid + 50,
                        settled: paid,
                        paid,
                        commission: paid / 10,
                    },
                ),
            )
            .await
            .unwrap();
        }
        txn.commit().await.unwrap();
    }
    paid_12m::recompute(core, org.id).await.unwrap();
    let table = |figures_in: Option<Currency>| async move {
        revenue::for_partner(
            core,
            org.id,
            &revenue::RevenueQuery {
                customers_year: true,
                figures_in,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .customers
        .into_iter()
        .map(|c| (c.company, c.figures))
        .collect::<Vec<_>>()
    };
    let summed = table(None).await;
    let stored = table(Some(Currency::Usd)).await;
    assert_eq!(summed.len(), 50);
    assert_eq!(summed[0].0, "Customer 59");
    assert_eq!(summed[0].1.paid, 5_900 + 413);
    assert_eq!(summed[0].1.outstanding, 100);
    assert_eq!(stored, summed);
    // This month's table, read in the month index's paid order: the same customers' months.
    let month = revenue::for_partner(core, org.id, &revenue::RevenueQuery::default())
        .await
        .unwrap()
        .customers;
    let shown: Vec<(&str, i64, i64)> = month
        .iter()
        .map(|c| (c.company.as_str(), c.figures.paid, c.figures.outstanding))
        .collect();
    assert_eq!(shown.len(), 50);
    assert_eq!(shown[0], ("Customer 59", 5_900, 50));
    assert_eq!(shown[49], ("Customer 10", 1_000, 50));
    assert!(shown.windows(2).all(|w| w[0].1 >= w[1].1));
}

/// Every row of a read in pages, each after the cursor the previous one ended at.
async fn every_page<R, C, Fut>(mut read: impl FnMut(Option<C>) -> Fut) -> Vec<R>
where
    Fut: std::future::Future<Output = Batch<R, C>>,
{
    let (mut rows, mut after) = (Vec::new(), None);
    loop {
        let batch = read(after).await;
        rows.extend(batch.rows);
        match batch.next {
            Some(c) => after = Some(c),
            None => return rows,
        }
    }
}

#[tokio::test]
async fn exports_read_page_by_page_neither_skip_nor_repeat_a_row() {
    let s = shop().await;
    for seats in ["1", "2", "3"] {
        ordered_and_paid(&s, seats).await;
    }
    let core = &s.app.core;

    let lines = &LineSelection::of_revenue(core, s.org.id, &RevenueQuery::default())
        .await
        .unwrap();
    let whole = lines.page(core, None, 100).await.unwrap();
    assert_eq!((whole.rows.len(), whole.next.is_none()), (3, true));
    let paged = every_page(|after| async move { lines.page(core, after, 1).await.unwrap() }).await;
    let ids = |l: &[revenue::Line]| l.iter().map(|l| l.id).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&whole.rows));

    for partner in [Some(s.org.id), None] {
        let q = InvoiceQuery::default();
        let whole = invoice_list::list(core, partner, &q, 0, 100).await.unwrap();
        assert_eq!(whole.rows.len(), 3);
        let selection = &InvoiceSelection::new(partner, &q).unwrap();
        let paged =
            every_page(|after| async move { selection.page(core, after, 1).await.unwrap() }).await;
        let ids = |l: &[invoice_list::ListedInvoice]| {
            l.iter()
                .map(|i| (i.invoice.id, i.partner.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&paged), ids(&whole.rows));
    }

    for (email, company) in [("it@beta.example", "Beta"), ("it@gamma.example", "Gamma")] {
        crate::customer_prices::active_customer(&s.app, &s.org, email, company).await;
    }
    let customers = &CustomerExport {
        partner: s.org.id,
        q: String::new(),
        status: None,
        customer_type: None,
        expiring_by: None,
    };
    let whole = customers.page(core, None, 100).await.unwrap();
    assert_eq!(whole.rows.len(), 3);
    let paged =
        every_page(|after| async move { customers.page(core, after, 1).await.unwrap() }).await;
    let ids = |l: &[CustomerRow]| l.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&whole.rows));
}
