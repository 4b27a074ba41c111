//! Price lists: staff give a partner a discount off list price, overall and per
//! product; the partner sees its cost beside the list price; other partners see theirs.
use reqwest::StatusCode;

use crate::helpers::*;

async fn staff(app: &TestApp) -> Client {
    app.staff("staff@example.com").await;
    let c = app.client();
    c.sign_in("staff@example.com", PASSWORD)
        .await
        .expect_redirect("/staff/approvals");
    c
}

async fn product(c: &Client, sku: &str, usd: &str, vnd: &str) -> String {
    let new = "/staff/catalog/new";
    c.post_form(
        new,
        new,
        &[
            ("sku", sku),
            ("name", &format!("Product {sku}")),
            ("unit", "seat"),
            ("kind", "monthly"),
            ("trial_days", "0"),
            ("min_quantity", "1"),
            ("max_quantity", "100"),
            ("price_usd", usd),
            ("price_vnd", vnd),
        ],
    )
    .await
    .location()
    .trim_start_matches("/staff/catalog/")
    .to_string()
}

#[tokio::test]
async fn staff_set_a_partners_discounts_and_the_partner_sees_its_cost() {
    let app = spawn_app().await;
    let c = staff(&app).await;
    let partner_id = app.partner("p@example.com", "Reseller Co").await;
    app.partner("q@example.com", "Other Partner").await;
    product(&c, "BK-100", "12.50", "290000").await;
    let mail = product(&c, "MAIL-SEC", "24.00", "").await;

    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    partner
        .get("/price-lists")
        .await
        .expect_status(StatusCode::OK)
        .expect_text("no overall discount yet")
        .expect_text("$12.50");

    let prices = format!("/staff/partners/{partner_id}/prices");
    // A bad rate is named and nothing changes.
    let bad = c.post_form(&prices, &prices, &[("discount", "120")]).await;
    bad.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("discount").is_some());
    c.post_form(&prices, &prices, &[("discount", "20")])
        .await
        .expect_redirect(&prices);
    // MAIL-SEC has its own 12.5 %.
    let own = format!("{prices}/{mail}");
    c.post_form(&prices, &own, &[("discount", "12.5"), ("action", "set")])
        .await
        .expect_redirect(&prices);

    let list = partner.get("/price-lists").await;
    list.expect_text("20%")
        // BK-100: 20 % off $12.50 and 290,000 VND.
        .expect_text("$10.00")
        .expect_text("232,000 VND")
        // MAIL-SEC: 12.5 % off $24.00.
        .expect_text("12.5%")
        .expect_text("$21.00");
    // The other partner pays list price.
    let other = app.client();
    other.sign_in("q@example.com", PASSWORD).await;
    let theirs = other.get("/price-lists").await;
    theirs.expect_text("no overall discount yet");
    assert!(!theirs.body.contains("$10.00"));

    // Back to the overall discount for MAIL-SEC: 20 % off $24.00.
    c.post_form(&prices, &own, &[("action", "clear")])
        .await
        .expect_redirect(&prices);
    partner.get("/price-lists").await.expect_text("$19.20");
    c.get("/staff/audit")
        .await
        .expect_text("price_list.discount_set")
        .expect_text("12.5% off MAIL-SEC");

    // Partners cannot set discounts, and staff pages stay closed to them.
    partner
        .post_form("/price-lists", &prices, &[("discount", "90")])
        .await
        .expect_status(StatusCode::FORBIDDEN);
    partner
        .get(&prices)
        .await
        .expect_status(StatusCode::FORBIDDEN);
    c.get("/staff/partners/00000000-0000-0000-0000-000000000000/prices")
        .await
        .expect_status(StatusCode::NOT_FOUND);
}
