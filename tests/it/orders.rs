//! Orders on behalf of a customer: the preview shows price, total and margin; one
//! POST places one order however often it is sent; a subscription makes a license whose seats
//! go to the customer's users; Usage and Coming Expiry Date follow in My Customers; orders are
//! cancelled only in their grace period; trials are one per product, remind, expire by
//! themselves and convert. Every refusal writes nothing.
use partner_portal::{
    entities::users,
    services::{
        audit::Actor,
        orders::{self, OrderError},
    },
};
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::{customer_prices::active_customer, helpers::*, registrations::quick_partner};

/// A product made through the staff form; returns its id.
pub async fn product(staff: &Client, sku: &str, kind: &str, trial_days: &str, usd: &str) -> String {
    let new = "/staff/catalog/new";
    staff
        .post_form(
            new,
            new,
            &[
                ("sku", sku),
                ("name", &format!("Product {sku}")),
                ("unit", "seat"),
                ("kind", kind),
                ("trial_days", trial_days),
                ("min_quantity", "1"),
                ("max_quantity", "100"),
                ("price_usd", usd),
            ],
        )
        .await
        .location()
        .trim_start_matches("/staff/catalog/")
        .to_string()
}

/// Users of a customer account (fixture rows: the customer's own user management comes with
/// its own pages).
pub async fn customer_users(app: &TestApp, account: uuid::Uuid, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for name in names {
        let id = uuid::Uuid::new_v4();
        users::Entity::insert(users::ActiveModel {
            id: Set(id),
            email: Set(format!("{}@customer.example", name.to_lowercase())),
            name: Set(name.to_string()),
            password_hash: Set("!".into()),
            kind: Set(partner_portal::domain::UserKind::Customer),
            partner_id: Set(None),
            account_id: Set(Some(account)),
            role: Set(partner_portal::domain::Role::Member),
            active: Set(true),
            created_at: Set(app.core.now()),
            last_sign_in_at: Set(None),
            totp_secret: Set(None),
            totp_enabled_at: Set(None),
            totp_last_step: Set(None),
        })
        .exec_without_returning(&app.core.db.write)
        .await
        .unwrap();
        ids.push(id.to_string());
    }
    ids
}

/// Staff, a product at $10.00 a seat a month, a partner at 20 % off (cost $8.00) and one of
/// its active customers at 10 % off (price $9.00).
pub struct Shop {
    pub app: TestApp,
    pub staff: Client,
    pub partner: Client,
    pub org: partner_portal::services::views::Partner,
    pub customer: String,
    pub account: uuid::Uuid,
    pub product: String,
}

pub async fn shop() -> Shop {
    shop_with(Options::default()).await
}

/// The same shop on a server started with `opts` (a gateway's settings, say).
pub async fn shop_with(opts: Options) -> Shop {
    // The jobs run often: trials expire within a test.
    let app = spawn_app_with(opts.var("JOBS_EVERY_MS", 100)).await;
    app.staff("staff@example.com").await;
    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    let product = product(&staff, "BK-100", "monthly", "0", "10.00").await;
    let p = quick_partner(&app, "p@example.com", "Reseller Co").await;
    let prices = format!("/staff/partners/{}/prices", p.id);
    staff
        .post_form(&prices, &prices, &[("discount", "20")])
        .await
        .expect_redirect(&prices);
    let customer = active_customer(&app, &p, "it@acme.example", "Acme").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let cp = format!("/customers/{customer}/prices");
    partner
        .post_form(&cp, &cp, &[("discount", "10")])
        .await
        .expect_redirect(&cp);
    let account =
        partner_portal::services::accounts::find_by_email(&app.core.db.read, "it@acme.example")
            .await
            .unwrap()
            .unwrap()
            .id;
    Shop {
        app,
        staff,
        partner,
        org: p,
        customer,
        account,
        product,
    }
}

/// Previews an order and returns the preview page (with its key and quoted total).
async fn preview(c: &Client, customer: &str, fields: &[(&str, &str)]) -> Page {
    let path = format!("/customers/{customer}/orders/new");
    let mut all = fields.to_vec();
    all.push(("action", "preview"));
    c.post_form(&path, &path, &all).await
}

/// Previews then places; returns the order page's path.
pub async fn order(c: &Client, customer: &str, fields: &[(&str, &str)]) -> String {
    let path = format!("/customers/{customer}/orders/new");
    let p = preview(c, customer, fields).await;
    p.expect_status(StatusCode::OK);
    let key = p.input_value("key").expect("a key with the preview");
    let quoted = p.input_value("quoted").expect("the quoted total");
    let mut all = fields.to_vec();
    all.extend([("action", "place"), ("key", &key), ("quoted", &quoted)]);
    c.post_form(&path, &path, &all).await.location()
}

#[tokio::test]
async fn a_partner_previews_and_places_an_order_once_however_often_it_is_sent() {
    let s = shop().await;
    let (app, c, id) = (&s.app, &s.partner, &s.customer);
    let new = format!("/customers/{id}/orders/new");
    c.get(&new).await.expect_status(StatusCode::OK);

    // 10 seats at $9.00: $90.00, of which $10.00 is the partner's margin.
    let fields = [
        ("product", s.product.as_str()),
        ("quantity", "10"),
        ("currency", "USD"),
        ("auto_renew", "on"),
    ];
    let p = preview(c, id, &fields).await;
    p.expect_status(StatusCode::OK)
        .expect_text("$90.00")
        .expect_text("$80.00")
        .expect_text("$10.00")
        .expect_text("Place the order");
    assert_eq!(app.count("orders").await, 0, "a preview orders nothing");
    let key = p.input_value("key").unwrap();
    let quoted = p.input_value("quoted").unwrap();
    let mut place: Vec<(&str, &str)> = fields.to_vec();
    place.extend([("action", "place"), ("key", &key), ("quoted", &quoted)]);
    let first = c.post_form(&new, &new, &place).await;
    let order_path = first.location();
    assert!(order_path.starts_with("/orders/"), "{order_path}");
    // The same form sent again (a double click, a reload): the same order, nothing new.
    let again = c.post_form(&new, &new, &place).await;
    assert_eq!(again.location(), order_path);
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(app.count("licenses").await, 1);
    let page = c.get(&order_path).await;
    page.expect_status(StatusCode::OK)
        .expect_text("ORD-000001")
        .expect_text("$10.00")
        .expect_text("$8.00")
        .expect_text("$9.00")
        .expect_text("$90.00")
        .expect_text("placed already");
    // The customer is told what its partner ordered on its behalf.
    let mail = app.smtp.wait_for("it@acme.example", "ORD-000001").await;
    assert!(
        mail.text.contains("10 seats of Product BK-100"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("$90.00"));
    // The customer page lists it; My Customers shows the license's seats and end.
    c.get(&format!("/customers/{id}"))
        .await
        .expect_text("ORD-000001")
        .expect_text("0 / 10");
    let end = (app.core.now().date_naive() + chrono::Months::new(1))
        .format("%-d %b %Y")
        .to_string();
    c.get("/customers")
        .await
        .expect_text("0 / 10 (0%)")
        .expect_text(&end);

    // Staff raise the list price: the order keeps its prices.
    let product_path = format!("/staff/catalog/{}", s.product);
    let edit = s.staff.get(&product_path).await;
    edit.expect_status(StatusCode::OK);
    s.staff
        .post_form(
            &product_path,
            &product_path,
            &[
                ("sku", "BK-100"),
                ("name", "Product BK-100"),
                ("unit", "seat"),
                ("kind", "monthly"),
                ("trial_days", "0"),
                ("min_quantity", "1"),
                ("max_quantity", "100"),
                ("price_usd", "20.00"),
            ],
        )
        .await;
    c.get(&order_path)
        .await
        .expect_text("$90.00")
        .expect_text("$9.00");
    // Its kind can no longer change: the license's terms follow it.
    let kind = s
        .staff
        .post_form(
            &product_path,
            &product_path,
            &[
                ("sku", "BK-100"),
                ("name", "Product BK-100"),
                ("unit", "seat"),
                ("kind", "yearly"),
                ("trial_days", "0"),
                ("min_quantity", "1"),
                ("max_quantity", "100"),
                ("price_usd", "20.00"),
            ],
        )
        .await;
    kind.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(kind
        .field_error("kind")
        .is_some_and(|m| m.contains("can no longer change")));
    // Every order change is audited with who did it.
    s.staff
        .get("/staff/audit")
        .await
        .expect_text("order.placed")
        .expect_text("ORD-000001: 10 seats of Product BK-100");
}

#[tokio::test]
async fn bad_orders_are_refused_by_field_and_write_nothing() {
    let s = shop().await;
    let (app, c, id) = (&s.app, &s.partner, &s.customer);
    // (the form's fields, the field refused, what its message says)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 6] = [
        (
            &[("product", &s.product), ("quantity", "0")],
            "quantity",
            "at least 1",
        ),
        (
            &[("product", &s.product), ("quantity", "101")],
            "quantity",
            "from 1 to 100",
        ),
        (
            &[("product", "NOPE-1"), ("quantity", "1")],
            "product",
            "not on sale",
        ),
        (
            &[
                ("product", &s.product),
                ("quantity", "1"),
                ("currency", "EUR"),
            ],
            "currency",
            "USD only",
        ),
        (
            &[
                ("product", &s.product),
                ("quantity", "1"),
                ("start", "2020-01-01"),
            ],
            "start",
            "past",
        ),
        (
            &[
                ("product", &s.product),
                ("quantity", "1"),
                ("term", "one_off"),
            ],
            "term",
            "monthly or yearly",
        ),
    ];
    for (fields, field, message) in cases {
        let p = preview(c, id, fields).await;
        p.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
        let got = p.field_error(field);
        assert!(
            got.as_deref().is_some_and(|m| m.contains(message)),
            "{field}: {got:?}"
        );
        // What was typed stays.
        if field == "quantity" {
            assert_eq!(p.input_value("quantity").as_deref(), Some(fields[1].1));
        }
    }
    // A retired product cannot be ordered.
    let retire = format!("/staff/catalog/{}/retire", s.product);
    s.staff
        .post_form(
            &format!("/staff/catalog/{}", s.product),
            &retire,
            &[("confirmed", "yes")],
        )
        .await;
    let p = preview(c, id, &[("product", &s.product), ("quantity", "1")]).await;
    p.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p
        .field_error("product")
        .is_some_and(|m| m.contains("retired")));
    assert_eq!(app.count("orders").await, 0);
    assert_eq!(app.count("licenses").await, 0);

    // Without the CSRF token: refused.
    let path = format!("/customers/{id}/orders/new");
    c.post_raw(
        &path,
        &[
            ("product", &s.product),
            ("quantity", "1"),
            ("action", "preview"),
        ],
    )
    .await
    .expect_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_partners_customer_order_and_license_are_not_found() {
    let s = shop().await;
    let app = &s.app;
    let placed = order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;
    let license = s.partner.get(&placed).await.id_after("/licenses/");
    quick_partner(app, "other@example.com", "Other Co").await;
    let other = app.client();
    other.sign_in("other@example.com", PASSWORD).await;
    let id = &s.customer;
    for path in [
        format!("/customers/{id}/orders/new"),
        format!("/customers/{id}/trials/new"),
        placed.clone(),
        format!("/licenses/{license}"),
        format!("/licenses/{license}/convert"),
    ] {
        other.get(&path).await.expect_status(StatusCode::NOT_FOUND);
    }
    let mine = "/customers";
    let form = other.get(mine).await;
    let token = form.csrf();
    for path in [
        format!("/customers/{id}/orders/new"),
        format!("{placed}/cancel"),
        format!("/licenses/{license}/seats"),
        format!("/licenses/{license}/renewal"),
    ] {
        other
            .post_raw(
                &path,
                &[
                    ("csrf_token", token.as_str()),
                    ("product", s.product.as_str()),
                    ("quantity", "5"),
                    ("seats", "5"),
                    ("action", "preview"),
                    ("confirmed", "yes"),
                ],
            )
            .await
            .expect_status(StatusCode::NOT_FOUND);
    }
    assert_eq!(app.count("orders").await, 1);
}

#[tokio::test]
async fn seats_go_to_users_and_usage_and_seat_changes_follow() {
    let s = shop().await;
    let (app, c, id) = (&s.app, &s.partner, &s.customer);
    let users = customer_users(app, s.account, &["Ann", "Bob", "Cid"]).await;
    let placed = order(c, id, &[("product", &s.product), ("quantity", "2")]).await;
    let license = c.get(&placed).await.id_after("/licenses/");
    let lp = format!("/licenses/{license}");
    let assign = format!("{lp}/assign");
    for u in &users[..2] {
        c.post_form(&lp, &assign, &[("user", u)])
            .await
            .expect_redirect(&lp);
    }
    // Both seats given: a third is refused, nothing changes.
    let full = c.post_form(&lp, &assign, &[("user", &users[2])]).await;
    full.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(full
        .field_error("user")
        .is_some_and(|m| m.contains("All 2 seats")));
    c.get("/customers").await.expect_text("2 / 2 (100%)");
    // Going below the seats given is refused; adding 3 seats is an order of 3 × $9.00.
    let seats = format!("{lp}/seats");
    let below = c.post_form(&lp, &seats, &[("seats", "1")]).await;
    below.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(below
        .field_error("seats")
        .is_some_and(|m| m.contains("given to users")));
    let form = c.get(&lp).await;
    let key = form.input_value("key").unwrap();
    c.post_form(&lp, &seats, &[("seats", "5"), ("key", &key)])
        .await
        .expect_redirect(&lp);
    // The same seat change sent twice is one order.
    c.post_form(&lp, &seats, &[("seats", "5"), ("key", &key)])
        .await
        .expect_redirect(&lp);
    assert_eq!(app.count("orders").await, 2);
    c.get(&lp)
        .await
        .expect_text("ORD-000002")
        .expect_text("2 → 5")
        .expect_text("$27.00");
    c.get("/customers").await.expect_text("2 / 5 (40%)");
    // Taking a seat back frees it.
    c.post_form(&lp, &format!("{lp}/assign/{}/remove", users[0]), &[])
        .await
        .expect_redirect(&lp);
    c.get("/customers").await.expect_text("1 / 5 (20%)");
    // Someone who is not a user of this customer cannot get a seat.
    let wrong = c
        .post_form(&lp, &assign, &[("user", &uuid::Uuid::new_v4().to_string())])
        .await;
    wrong.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_order_is_cancelled_only_within_its_grace_period() {
    let s = shop().await;
    let (app, c, id) = (&s.app, &s.partner, &s.customer);
    let first = order(c, id, &[("product", &s.product), ("quantity", "3")]).await;
    let cancel = format!("{first}/cancel");
    // The first press asks; the confirmation cancels.
    c.post_form(&first, &cancel, &[("reason", "Ordered by mistake")])
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Cancel order ORD-000001?");
    c.post_form(
        &first,
        &cancel,
        &[("reason", "Ordered by mistake"), ("confirmed", "yes")],
    )
    .await
    .expect_redirect(&first);
    c.get(&first)
        .await
        .expect_text("Cancelled")
        .expect_text("Ordered by mistake");
    let listed = c.get("/customers").await;
    assert!(
        !listed.body.contains("0 / 3"),
        "a cancelled license leaves Usage"
    );
    app.smtp
        .wait_for("it@acme.example", "ORD-000001 cancelled")
        .await;

    // Eight days later, another order is past its 7-day grace period.
    let second = order(c, id, &[("product", &s.product), ("quantity", "3")]).await;
    app.clock.advance(chrono::Duration::days(8));
    let late = c
        .post_form(
            &second,
            &format!("{second}/cancel"),
            &[("confirmed", "yes")],
        )
        .await;
    late.expect_redirect(&second);
    c.get(&second)
        .await
        .expect_text("grace period ended")
        .expect_text("Placed");
}

#[tokio::test]
async fn a_trial_is_one_per_product_reminds_expires_and_converts() {
    let s = shop().await;
    let (app, c, id) = (&s.app, &s.partner, &s.customer);
    let trial_product = product(&s.staff, "MS-200", "monthly", "14", "5.00").await;
    let new = format!("/customers/{id}/trials/new");
    c.get(&new)
        .await
        .expect_text("Product MS-200")
        .expect_text("14 days");
    let started = c
        .post_form(&new, &new, &[("product", &trial_product), ("seats", "3")])
        .await;
    let license = started.location();
    assert!(license.starts_with("/licenses/"), "{license}");
    let ends = app.core.now().date_naive() + chrono::Duration::days(14);
    c.get("/customers")
        .await
        .expect_text(&ends.format("%-d %b %Y").to_string());
    // A second trial of the product is refused, also when two arrive at once.
    let again = c
        .post_form(&new, &new, &[("product", &trial_product), ("seats", "3")])
        .await;
    again.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again
        .field_error("product")
        .is_some_and(|m| m.contains("already had a trial")));
    let other = product(&s.staff, "SP-300", "yearly", "30", "100.00").await;
    let reg = id.parse().unwrap();
    let partner =
        partner_portal::services::auth::find_user_by_email(&app.core.db.read, "p@example.com")
            .await
            .unwrap()
            .unwrap();
    let pid = partner.partner_id.unwrap().into();
    let actor = Actor::system("test");
    let product_id = other.parse().unwrap();
    let (a, b) = tokio::join!(
        orders::start_trial(&app.core, &actor, pid, reg, product_id, ""),
        orders::start_trial(&app.core, &actor, pid, reg, product_id, ""),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "one trial of two at once"
    );
    assert!(matches!(
        a.err().or(b.err()),
        Some(OrderError::TrialTaken(_))
    ));
    assert_eq!(app.count("licenses").await, 2);

    // 8 days on: the 7-day reminder; 13 days on: the last day's; each once.
    app.clock.advance(chrono::Duration::days(8));
    app.job_rounds_pass(2).await;
    app.smtp
        .wait_for(
            "p@example.com",
            "trial of Product MS-200 (MS-200) ends in 6 days",
        )
        .await;
    app.clock.advance(chrono::Duration::days(5));
    app.job_rounds_pass(2).await;
    app.smtp
        .wait_for(
            "p@example.com",
            "trial of Product MS-200 (MS-200) ends in 1 day",
        )
        .await;
    app.job_rounds_pass(2).await;
    let reminders = app
        .queued_to("p@example.com")
        .await
        .into_iter()
        .filter(|s| s.contains("MS-200") && s.contains("ends in"))
        .count();
    assert_eq!(reminders, 2);
    // Past its end it expires by itself, and leaves Coming Expiry Date.
    app.clock.advance(chrono::Duration::days(2));
    app.job_rounds_pass(2).await;
    c.get(&license).await.expect_text("Expired");
    let listed = c.get("/customers").await;
    assert!(
        !listed.body.contains(&ends.format("%-d %b %Y").to_string()),
        "the expired trial left Coming Expiry Date"
    );
    // A second run changes nothing.
    let report = orders::licenses_due(&app.core).await.unwrap();
    assert_eq!(report, orders::DueReport::default());

    // It converts into a paid order after its end.
    let convert = format!("{license}/convert");
    let p = c
        .post_form(
            &convert,
            &convert,
            &[("quantity", "3"), ("action", "preview")],
        )
        .await;
    p.expect_status(StatusCode::OK).expect_text("$13.50");
    let key = p.input_value("key").unwrap();
    let quoted = p.input_value("quoted").unwrap();
    let placed = c
        .post_form(
            &convert,
            &convert,
            &[
                ("quantity", "3"),
                ("action", "place"),
                ("key", &key),
                ("quoted", &quoted),
            ],
        )
        .await;
    assert!(placed.location().starts_with("/orders/"));
    c.get(&license).await.expect_text("Converted");
    c.get(&placed.location())
        .await
        .expect_text("Trial converted");
}

#[tokio::test]
async fn the_api_places_orders_once_per_key_names_bad_fields_and_lists_licenses() {
    use partner_portal::{
        domain::{CommissionRate, PlainName},
        services::api_apps::{self, SCOPE_ORDERS, SCOPE_READWRITE},
    };
    use serde_json::{json, Value};
    let s = shop().await;
    let app = &s.app;
    let partner =
        partner_portal::services::auth::find_user_by_email(&app.core.db.read, "p@example.com")
            .await
            .unwrap()
            .unwrap()
            .partner_id
            .unwrap();
    let new_app = |scopes: &'static [&'static str]| async move {
        let (a, secret) = api_apps::create(
            &app.core,
            &Actor::system("test"),
            partner.into(),
            PlainName::parse("Shop sync", "n").unwrap(),
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
    let api = new_app(&[SCOPE_READWRITE, SCOPE_ORDERS]).await;
    let token = api.token().await;
    let orders_path = format!(
        "/partner/external/v3/general/customers/{}/orders",
        s.customer
    );
    let body = json!({"productSku": "bk-100", "quantity": 4, "currency": "USD"});
    let (status, placed) = api
        .post_to(&token, &orders_path, &body, Some("order-1"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!(placed["number"], "ORD-000001");
    assert_eq!(placed["total"]["amount"], "36.00");
    assert_eq!(placed["total"]["minor"], 3600);
    // The same key and body: the first answer again; nothing new is ordered.
    let (again, replay) = api
        .post_to(&token, &orders_path, &body, Some("order-1"))
        .await;
    assert_eq!(again, StatusCode::CREATED);
    assert_eq!(replay["id"], placed["id"]);
    assert_eq!(app.count("orders").await, 1);
    // The instance died after the order committed and before its answer was kept: the key's
    // row is still "in progress". A retry after the lease finds the order the key is kept on
    // (written in the order's own transaction) and answers it again: still one order.
    {
        use partner_portal::entities::idempotency_keys as keys;
        use sea_orm::{ActiveValue::Set, EntityTrait};
        keys::Entity::update_many()
            .set(keys::ActiveModel {
                state: Set("in_progress".into()),
                response_status: Set(None),
                response_body: Set(None),
                ..Default::default()
            })
            .exec(&app.core.db.write)
            .await
            .unwrap();
    }
    app.clock
        .advance(partner_portal::services::idempotency::LEASE + chrono::Duration::seconds(1));
    let (after_crash, answer) = api
        .post_to(&token, &orders_path, &body, Some("order-1"))
        .await;
    assert_eq!(after_crash, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["id"], placed["id"]);
    assert_eq!(answer["number"], "ORD-000001");
    assert_eq!(app.count("orders").await, 1);

    // Bad fields are named as the contract spells them; nothing is written.
    for (bad, field) in [
        (json!({"productSku": "BK-100", "quantity": "4"}), "quantity"),
        (json!({"productSku": "BK-100", "quantity": 0}), "quantity"),
        (json!({"productSku": "BK-100", "quantity": 101}), "quantity"),
        (json!({"productSku": "NOPE", "quantity": 1}), "productSku"),
        (json!({"quantity": 1}), "productSku"),
        (
            json!({"productSku": "BK-100", "quantity": 1, "currency": "EUR"}),
            "currency",
        ),
        (
            json!({"productSku": "BK-100", "quantity": 1, "startDate": "2001-01-01"}),
            "startDate",
        ),
        (
            json!({"productSku": "BK-100", "quantity": 1, "term": "weekly"}),
            "term",
        ),
    ] {
        let (status, problem) = api.post_to(&token, &orders_path, &bad, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
        let named: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(named.contains(&field), "{bad}: {problem}");
    }
    assert_eq!(app.count("orders").await, 1);

    // Another partner's customer, or no such customer: 404.
    let other = quick_partner(app, "o@example.com", "Other Co").await;
    let theirs = active_customer(app, &other, "x@umbrella.example", "Umbrella").await;
    for id in [
        theirs.as_str(),
        "not-an-id",
        &uuid::Uuid::new_v4().to_string(),
    ] {
        let path = format!("/partner/external/v3/general/customers/{id}/orders");
        let (status, _) = api.post_to(&token, &path, &body, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        let (status, _) = api
            .get(
                &token,
                &format!("/partner/external/v3/general/customers/{id}/licenses"),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
    }
    // A token without the orders scope: 403, for both.
    let onboarding_only = new_app(&[SCOPE_READWRITE]).await;
    let t = onboarding_only.token().await;
    let (status, problem) = onboarding_only.post_to(&t, &orders_path, &body, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains(SCOPE_ORDERS));

    // The licenses: the order's, with its seats.
    let licenses_path = format!(
        "/partner/external/v3/general/customers/{}/licenses",
        s.customer
    );
    let (status, list) = api.get(&token, &licenses_path).await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], placed["licenseId"]);
    assert_eq!(items[0]["productSku"], "BK-100");
    assert_eq!(items[0]["seats"], 4);
    assert_eq!(items[0]["status"], "active");
    assert_eq!(items[0]["trial"], Value::Bool(false));
    let (status, _) = api.get(&t, &licenses_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_customers_admin_gives_seats_on_its_own_pages_and_members_only_look() {
    use partner_portal::{
        domain::{CountryCode, NewPassword, PlainName},
        services::{
            customer_signup::{self, Details},
            orders::{OrderInput, Placement},
            tokens::{self, NewToken, Purpose},
        },
    };
    let s = shop().await;
    let app = &s.app;
    // A customer who signed itself up, with its admin's password, then linked to the partner.
    let token = tokens::issue(
        &app.core.db.write,
        NewToken {
            at: app.core.now(),
            purpose: Purpose::CustomerSignup,
            email: "boss@globex.example",
            user_id: None,
            partner_id: None,
            subject_id: None,
            account_id: None,
            role: None,
            ttl: chrono::Duration::hours(1),
        },
    )
    .await
    .unwrap();
    let account = customer_signup::complete(
        &app.core,
        &token,
        Details {
            company_name: PlainName::parse("Globex", "c").unwrap(),
            name: PlainName::parse("Gina Boss", "n").unwrap(),
            country: CountryCode::parse("FR").unwrap(),
            phone: None,
            password: NewPassword::parse(PASSWORD, None).unwrap(),
        },
    )
    .await
    .unwrap();
    let partner = &s.org;
    let reg = crate::customer_prices::activate(app, partner, "boss@globex.example", "Globex").await;
    let mia = customer_users(app, account.id.uuid(), &["Mia"])
        .await
        .remove(0);
    let placed = orders::place(
        &app.core,
        &Actor::system("test"),
        partner.id,
        reg.parse().unwrap(),
        &OrderInput {
            product: "BK-100".into(),
            quantity: "2".into(),
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
    let license = placed.license.unwrap();

    let boss = app.client();
    boss.sign_in("boss@globex.example", PASSWORD).await;
    boss.get("/my/licenses")
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Product BK-100")
        .expect_text("0 of 2");
    let assign = format!("/my/licenses/{license}/assign");
    boss.post_form("/my/licenses", &assign, &[("user", &mia)])
        .await
        .expect_redirect("/my/licenses");
    boss.get("/my/licenses")
        .await
        .expect_text("1 of 2")
        .expect_text("Mia");
    // The partner sees it in Usage; the audit log names the customer's admin.
    s.partner.get("/customers").await.expect_text("1 / 2 (50%)");
    s.staff
        .get("/staff/audit")
        .await
        .expect_text("Gina Boss")
        .expect_text("Seat given to Mia");
    // Another account's license is not found; the partner's customers' licenses are not the
    // customer's to change.
    let other = order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "1")],
    )
    .await;
    let other_license = s.partner.get(&other).await.id_after("/licenses/");
    boss.post_form(
        "/my/licenses",
        &format!("/my/licenses/{other_license}/assign"),
        &[("user", &mia)],
    )
    .await
    .expect_status(StatusCode::NOT_FOUND);
    // A member of the account sees its licenses but gives no seat.
    let hash = app.core.hasher.hash(PASSWORD).await.unwrap();
    users::Entity::insert(users::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        email: Set("member@globex.example".into()),
        name: Set("Max Member".into()),
        password_hash: Set(hash),
        kind: Set(partner_portal::domain::UserKind::Customer),
        partner_id: Set(None),
        account_id: Set(Some(account.id.uuid())),
        role: Set(partner_portal::domain::Role::Member),
        active: Set(true),
        created_at: Set(app.core.now()),
        last_sign_in_at: Set(None),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    })
    .exec_without_returning(&app.core.db.write)
    .await
    .unwrap();
    let member = app.client();
    member.sign_in("member@globex.example", PASSWORD).await;
    let page = member.get("/my/licenses").await;
    page.expect_status(StatusCode::OK).expect_text("1 of 2");
    assert!(!page.body.contains("Give the seat"));
    member
        .post_form(
            "/my/licenses",
            &format!("/my/licenses/{license}/assign/{mia}/remove"),
            &[],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
    // A partner user is not a customer user: no /my/licenses for it.
    let p = s.partner.get("/my/licenses").await;
    assert_ne!(p.status, StatusCode::OK);
}
