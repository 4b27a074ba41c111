//! Customer prices: the partner gives one customer a discount off list price,
//! overall or per product, never below its own cost; the page shows price and margin.
use partner_portal::services::{audit::Actor, registrations as regs};
use reqwest::StatusCode;

use crate::{helpers::*, registrations::quick_partner};

/// An active registration of `email` to `partner`: added, confirmed by email, approved.
pub async fn active_customer(
    app: &TestApp,
    partner: &partner_portal::services::views::Partner,
    email: &str,
    company: &str,
) -> String {
    app.account(email, company).await;
    activate(app, partner, email, company).await
}

/// Registers the existing account of `email` to `partner`: added, confirmed, approved.
pub async fn activate(
    app: &TestApp,
    partner: &partner_portal::services::views::Partner,
    email: &str,
    company: &str,
) -> String {
    let reg = crate::search::register(app, partner, email, company).await;
    let mail = app
        .smtp
        .wait_for(email, "asks to become your partner")
        .await;
    let path = link(&mail.text, "/confirm/").replace(&app.base, "");
    app.client()
        .post_form(&path, &path, &[("action", "confirm")])
        .await
        .expect_status(StatusCode::OK);
    regs::approve(&app.core, &Actor::system("test"), reg.id)
        .await
        .unwrap();
    reg.id.to_string()
}

#[tokio::test]
async fn a_partner_prices_a_customer_between_its_cost_and_the_list_price() {
    let app = spawn_app().await;
    app.staff("staff@example.com").await;
    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    let new = "/staff/catalog/new";
    let bk = staff
        .post_form(
            new,
            new,
            &[
                ("sku", "BK-100"),
                ("name", "Backup"),
                ("unit", "GB"),
                ("kind", "monthly"),
                ("trial_days", "0"),
                ("min_quantity", "1"),
                ("max_quantity", "100"),
                ("price_usd", "100.00"),
            ],
        )
        .await
        .location()
        .trim_start_matches("/staff/catalog/")
        .to_string();
    let partner = quick_partner(&app, "p@example.com", "Reseller Co").await;
    let other = quick_partner(&app, "o@example.com", "Other Co").await;
    // The partner buys at 20 % off: its cost is $80.00.
    let prices = format!("/staff/partners/{}/prices", partner.id);
    staff
        .post_form(&prices, &prices, &[("discount", "20")])
        .await
        .expect_redirect(&prices);
    let id = active_customer(&app, &partner, "it@acme.example", "Acme").await;

    let c = app.client();
    c.sign_in("p@example.com", PASSWORD).await;
    let page_path = format!("/customers/{id}/prices");
    c.get(&page_path)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("$100.00")
        .expect_text("$80.00")
        .expect_text("$20.00");
    // 25 % off would be below cost: refused, the value kept, nothing saved.
    let refused = c
        .post_form(&page_path, &page_path, &[("discount", "25")])
        .await;
    refused.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .field_error("discount")
        .is_some_and(|m| m.contains("at most 20% off")));
    assert_eq!(refused.input_value("discount").as_deref(), Some("25"));
    // 5 % for everything, 15 % for the backup.
    c.post_form(&page_path, &page_path, &[("discount", "5")])
        .await
        .expect_redirect(&page_path);
    let one = format!("{page_path}/{bk}");
    c.post_form(&page_path, &one, &[("discount", "15"), ("action", "set")])
        .await
        .expect_redirect(&page_path);
    let page = c.get(&page_path).await;
    // $85.00 for the customer, $5.00 margin.
    page.expect_text("$85.00")
        .expect_text("$5.00")
        .expect_text("15%");
    c.get("/staff/audit")
        .await
        .expect_status(StatusCode::FORBIDDEN);
    staff
        .get("/staff/audit")
        .await
        .expect_text("customer_price.discount_set")
        .expect_text("15% off BK-100 Backup for Acme");

    // Staff lower the partner's discount to 10 %: the customer's price never goes below cost.
    staff
        .post_form(&prices, &prices, &[("discount", "10")])
        .await
        .expect_redirect(&prices);
    c.get(&page_path).await.expect_text("$90.00");

    // Another partner's customer is not found, for the page and the forms.
    let theirs = active_customer(&app, &other, "x@umbrella.example", "Umbrella").await;
    let theirs_path = format!("/customers/{theirs}/prices");
    c.get(&theirs_path)
        .await
        .expect_status(StatusCode::NOT_FOUND);
    c.post_form(&page_path, &theirs_path, &[("discount", "1")])
        .await
        .expect_status(StatusCode::NOT_FOUND);
}
