//! The catalog: staff add, edit, retire and import products with a list price per
//! currency; bad input is named per field and writes nothing; partners cannot open it.
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

fn backup<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("sku", "bk-100"),
        ("name", "Backup 100 GB"),
        ("description", "Daily backup"),
        ("unit", "GB"),
        ("kind", "monthly"),
        ("trial_days", "30"),
        ("min_quantity", "1"),
        ("max_quantity", "500"),
        ("price_usd", "12.50"),
        ("price_vnd", "290000"),
    ]
}

const NEW: &str = "/staff/catalog/new";

#[tokio::test]
async fn staff_add_a_product_and_bad_input_is_named_per_field_with_nothing_written() {
    let app = spawn_app().await;
    let c = staff(&app).await;
    c.get("/staff/catalog")
        .await
        .expect_text("The catalog is empty");

    // Every bad field has its message, the values typed stay, nothing is written.
    let mut bad = backup();
    bad[0] = ("sku", "b k");
    bad[6] = ("min_quantity", "10");
    bad[7] = ("max_quantity", "5");
    bad[9] = ("price_vnd", "10.50");
    let page = c.post_form(NEW, NEW, &bad).await;
    page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["sku", "max_quantity", "price_vnd"] {
        assert!(page.field_error(field).is_some(), "no message for {field}");
    }
    assert_eq!(page.input_value("name").as_deref(), Some("Backup 100 GB"));
    assert_eq!(page.input_value("price_usd").as_deref(), Some("12.50"));
    let mut no_price = backup();
    no_price.truncate(8);
    let page = c.post_form(NEW, NEW, &no_price).await;
    assert!(page
        .field_error("price_usd")
        .is_some_and(|m| m.contains("at least one currency")));
    assert_eq!(app.count("products").await, 0);

    let added = c.post_form(NEW, NEW, &backup()).await;
    added.expect_redirect("/staff/catalog/");
    let path = added.location();
    let page = c.get(&path).await;
    page.expect_text("BK-100 · Backup 100 GB")
        .expect_text("On sale");
    assert_eq!(page.input_value("price_vnd").as_deref(), Some("290000"));
    c.get("/staff/catalog")
        .await
        .expect_text("$12.50")
        .expect_text("290,000 VND")
        .expect_text("30 days");

    // The SKU is unique whatever its case: the form says so and keeps the values.
    let mut again = backup();
    again[0] = ("sku", "BK-100");
    again[1] = ("name", "Another backup");
    let page = c.post_form(NEW, NEW, &again).await;
    page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page
        .field_error("sku")
        .is_some_and(|m| m.contains("already")));
    assert_eq!(page.input_value("name").as_deref(), Some("Another backup"));
    assert_eq!(app.count("products").await, 1);

    // Editing changes the price; the audit log names who did what.
    let mut cheaper = backup();
    cheaper[8] = ("price_usd", "11");
    cheaper[9] = ("price_vnd", "");
    c.post_form(&path, &path, &cheaper)
        .await
        .expect_redirect(&path);
    let list = c.get("/staff/catalog").await;
    list.expect_text("$11.00");
    assert!(!list.body.contains("VND"), "the VND price was removed");
    c.get("/staff/audit")
        .await
        .expect_text("product.created")
        .expect_text("product.updated");
}

#[tokio::test]
async fn retiring_asks_first_and_partners_cannot_open_the_catalog() {
    let app = spawn_app().await;
    let c = staff(&app).await;
    let path = c.post_form(NEW, NEW, &backup()).await.location();
    let retire = format!("{path}/retire");
    // The first POST only asks; nothing changes until it is confirmed.
    c.post_form(&path, &retire, &[])
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Retire BK-100 Backup 100 GB?")
        .expect_text("Partners can no longer order it");
    c.get("/staff/catalog?status=retired")
        .await
        .expect_text("No product matches");
    c.post_form(&path, &retire, &[("confirmed", "yes")])
        .await
        .expect_redirect(&path);
    c.get("/staff/catalog?status=retired")
        .await
        .expect_text("BK-100");
    c.get("/staff/catalog?status=active")
        .await
        .expect_text("No product matches");
    c.post_form(&path, &format!("{path}/restore"), &[])
        .await
        .expect_redirect(&path);
    c.get("/staff/catalog?status=active&q=backup")
        .await
        .expect_text("BK-100");

    app.partner("p@example.com", "Reseller Co").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    for p in [
        "/staff/catalog",
        NEW,
        path.as_str(),
        "/staff/catalog/import",
    ] {
        partner.get(p).await.expect_status(StatusCode::FORBIDDEN);
    }
    partner
        .post_form("/customers", &retire, &[("confirmed", "yes")])
        .await
        .expect_status(StatusCode::FORBIDDEN);
    c.get("/staff/catalog/00000000-0000-0000-0000-000000000000")
        .await
        .expect_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_catalog_csv_creates_and_updates_by_sku_and_reports_refused_rows() {
    let app = spawn_app().await;
    let c = staff(&app).await;
    c.post_form(NEW, NEW, &backup()).await;
    let csv = "sku,name,unit,kind,trial_days,min_quantity,max_quantity,description,price_usd,price_vnd\n\
               BK-100,Backup 100 GB,GB,monthly,30,1,500,,13.00,\n\
               MAIL-SEC,Mail security,mailbox,yearly,14,5,10000,Spam and phishing filter,24.00,550000\n\
               BAD,Broken,seat,weekly,0,1,10,,1.00,\n\
               NOPRICE,No price,seat,monthly,0,1,10,,,\n\
               mail-sec,Twice,seat,monthly,0,1,10,,1.00,\n";
    let import = "/staff/catalog/import";
    let page = c.post_form(import, import, &[("csv", csv)]).await;
    page.expect_status(StatusCode::OK)
        .expect_text("1 product created, 1 updated, 3 rows refused")
        .expect_text("kind: Choose monthly, yearly or one_off.")
        .expect_text("at least one currency")
        .expect_text("appears twice");
    assert_eq!(app.count("products").await, 2);
    c.get("/staff/catalog")
        .await
        .expect_text("$13.00")
        .expect_text("550,000 VND");

    let missing = c
        .post_form(import, import, &[("csv", "sku,name\nA1,Thing\n")])
        .await;
    missing
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("missing: unit, kind");
    assert_eq!(app.count("products").await, 2);
}
